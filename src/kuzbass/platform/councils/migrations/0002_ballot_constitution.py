"""A ballot keeps the constitution in force when it opened."""

# ruff: noqa: RUF012  (a Django migration's class attributes)
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("councils", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ballot",
            name="constitution",
            field=models.JSONField(
                blank=True,
                help_text=(
                    "The council's quorum and thresholds when the ballot opened, frozen for it."
                ),
                null=True,
                verbose_name="constitution",
            ),
        ),
    ]
