"""No two usernames that differ only in case: a unique index on LOWER(username) in Django's own
user table (PostgreSQL lowers every alphabet; SQLite's LOWER only A-Z, so there the check in
``core.usernames`` is what catches "Андрей" beside "андрей")."""

# ruff: noqa: RUF012  (a Django migration's class attributes)
from django.db import migrations

INDEX = "core_auth_user_username_lower_uniq"


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(username))",
            f"DROP INDEX {INDEX}",
        )
    ]
