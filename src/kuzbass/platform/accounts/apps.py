from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kuzbass.platform.accounts"
    label = "accounts"
    verbose_name = "Labour-time accounts"
