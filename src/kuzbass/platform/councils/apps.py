from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "kuzbass.platform.councils"
    label = "councils"
    verbose_name = "Councils"

    def ready(self) -> None:
        """Mount the councils' router on the platform's API before its URLs are built."""
        from kuzbass.platform.core.api import api
        from kuzbass.platform.councils.api import router

        api.add_router("/", router)
