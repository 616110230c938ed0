from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kuzbass.platform.accounts"
    label = "accounts"
    verbose_name = "Labour-time accounts"

    def ready(self) -> None:
        """Mount the accounts router on the platform's API before its URLs are built."""
        from kuzbass.platform.accounts.api import router
        from kuzbass.platform.core.api import api

        api.add_router("/accounts/", router)
