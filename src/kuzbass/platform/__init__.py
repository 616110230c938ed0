"""The councils web platform: the Django project, and the only layer of kuzbass that imports Django.

Apps: ``kuzbass.platform.ledger`` (the public hash-chained ledger stored in the database) and
``kuzbass.platform.councils`` (councils, members, motions, ballots, delegates, demands). Every
change goes through a function of a ``services`` module, which runs in one database transaction
that also appends the ledger event recording it. Pages (``views``) and the JSON API (``api``)
only validate input, call a service and show its answer.

How a new app (the plan cycle, labour accounts) builds on this:

- a model whose rows record decisions subclasses ``ledger.models.Sealed`` and defines
  ``ledger_snapshot()``; its service calls ``ledger.services.lock_ledger()`` first, changes the
  rows, then ``append_event(kind, payload, seals=[rows])`` in the same ``transaction.atomic``:
  ``kuzbass ledger verify`` then also notices those rows being edited behind the platform's back;
- a decision that councils vote on is a ``Motion`` (with the app's subject in its own model,
  linked one-to-one); the app connects to ``councils.signals.motion_decided`` to act when the
  ballot is tallied, inside the same transaction;
- errors a user can cause are ``councils.services.ServiceError`` subclasses, which the pages and
  the API turn into the matching HTTP status with the message.
"""

import os

SETTINGS_MODULE = "kuzbass.platform.settings"


def setup() -> None:
    """Configure Django for use outside ``manage.py`` (the CLI, benchmarks, notebooks)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    django.setup()
