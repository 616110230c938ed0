from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kuzbass.platform.ledger"
    label = "ledger"
    verbose_name = "Public ledger"
