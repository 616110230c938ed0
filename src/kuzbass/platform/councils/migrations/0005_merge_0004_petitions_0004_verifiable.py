"""Joins the two branches of 0004: petitions and verifiable ballots (neither touches the other)."""

# ruff: noqa: RUF012  (a Django migration's class attributes)
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("councils", "0004_petitions"),
        ("councils", "0004_verifiable"),
    ]

    operations = []
