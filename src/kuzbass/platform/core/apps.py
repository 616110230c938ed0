from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares; as an app it also owns the rule that usernames are unique
    whatever their case (a migration on Django's user table) and keeps the database private."""

    name = "kuzbass.platform.core"
    label = "core"
    verbose_name = "Platform core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kuzbass.platform.core.files import keep_sqlite_private

        connection_created.connect(keep_sqlite_private, dispatch_uid="kuzbass-private-sqlite")
