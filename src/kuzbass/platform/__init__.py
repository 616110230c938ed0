"""The councils web platform: the Django project, and the only layer of kuzbass that imports Django.

Apps: ``kuzbass.platform.ledger`` (the public hash-chained ledger stored in the database) and
``kuzbass.platform.councils`` (councils, members, motions, ballots, delegates, demands). Every
change goes through a function of a ``services`` module, which runs in one database transaction
that also appends the ledger event recording it.
"""

import os

SETTINGS_MODULE = "kuzbass.platform.settings"


def setup() -> None:
    """Configure Django for use outside ``manage.py`` (the CLI, benchmarks, notebooks)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    django.setup()
