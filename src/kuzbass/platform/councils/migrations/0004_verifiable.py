"""End-to-end verifiable secret ballots: the council's rule and trustees, each ballot's key set-up,
the trustees' uploads and the encrypted papers."""

# ruff: noqa: RUF012  (a Django migration's class attributes)

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("councils", "0003_pending_papers"),
    ]

    operations = [
        migrations.CreateModel(
            name="VerifiableBallot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True)),
                ("trustees", models.JSONField()),
                ("threshold", models.PositiveSmallIntegerField()),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("keys", "trustees setting up the key"),
                            ("open", "open for encrypted papers"),
                            ("tallying", "closed, waiting for the trustees' partial decryptions"),
                            ("decrypted", "decrypted"),
                            ("failed", "closed before the trustees completed the key"),
                        ],
                        default="keys",
                        max_length=12,
                    ),
                ),
                ("record", models.JSONField(blank=True, null=True)),
                ("tally", models.JSONField(blank=True, null=True)),
                ("result", models.JSONField(blank=True, null=True)),
                (
                    "ballot",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="verifiable",
                        to="councils.ballot",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="VerifiableRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("trustees", models.JSONField(verbose_name="trustees")),
                ("threshold", models.PositiveSmallIntegerField(verbose_name="threshold")),
                (
                    "council",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="verifiable",
                        to="councils.council",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="TrusteeUpload",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("trustee", models.PositiveSmallIntegerField()),
                (
                    "step",
                    models.CharField(
                        choices=[
                            ("announce", "announcement"),
                            ("deal", "dealing"),
                            ("finish", "verification key"),
                            ("decrypt", "partial decryption"),
                        ],
                        max_length=10,
                    ),
                ),
                ("payload", models.JSONField()),
                (
                    "verifiable",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="uploads",
                        to="councils.verifiableballot",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("verifiable", "trustee", "step"), name="one_upload_per_trustee_step"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="EncryptedPaper",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tracker", models.CharField(max_length=64, unique=True)),
                ("credential", models.CharField(max_length=64)),
                ("payload", models.JSONField()),
                (
                    "verifiable",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="papers",
                        to="councils.verifiableballot",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("verifiable", "credential"), name="one_credential_one_paper"
                    )
                ],
            },
        ),
    ]
