from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kuzbass.platform.ledger"
    label = "ledger"
    verbose_name = "Public ledger"

    def ready(self) -> None:
        from kuzbass.platform.ledger.rows import connect_signals

        connect_signals()
