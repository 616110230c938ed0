"""A secret ballot's papers wait in a pool apart from the roll until the close counts them."""

# ruff: noqa: RUF012  (a Django migration's class attributes)
import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("councils", "0002_ballot_constitution")]

    operations = [
        migrations.CreateModel(
            name="PendingPaper",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("content", models.JSONField()),
                ("receipt_hash", models.CharField(max_length=64)),
                (
                    "ballot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pending_papers",
                        to="councils.ballot",
                    ),
                ),
            ],
        ),
    ]
