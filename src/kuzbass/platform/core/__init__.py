"""What every app of the platform shares, each in one home; apps import these public names only.

- :mod:`.errors`: the errors a person can cause, each with the HTTP status pages and API answer.
- :mod:`.actors`: who acts (a logged-in member) and the check that someone is logged in.
- :mod:`.permissions`: who may do what in a council (member, officer).
- :mod:`.checks`: validation of what people type (text, numbers, fractions), before any write.
- :mod:`.clock`: the current time, one place, so that tests can move it.
- :mod:`.events`: the catalogue of ledger event kinds and their payload fields.
- :mod:`.api`: the root of the JSON API, which each app's router joins.
"""
