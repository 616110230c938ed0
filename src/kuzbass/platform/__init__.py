"""The councils web platform: the Django project, and the only layer of kuzbass that imports Django.

Apps: ``core`` (errors, permissions, checks, the clock, the catalogue of ledger events, the API
root), ``ledger`` (the public hash-chained ledger stored in the database), ``councils`` (councils,
members, motions, ballots, delegates, demands), ``plans`` (the plan cycle) and ``accounts``
(labour-time accounts). Every change goes through a service (one module per noun in each app's
``services`` package), which runs in one database transaction that also appends the ledger event
recording it. Pages (``views``) and the JSON API (``api``) only parse input, call a service and
show its answer. ``docs/architecture.md`` follows one request through these layers.
"""

import os

SETTINGS_MODULE = "kuzbass.platform.settings"


def setup() -> None:
    """Configure Django for use outside ``manage.py`` (the CLI, benchmarks, notebooks)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    django.setup()
