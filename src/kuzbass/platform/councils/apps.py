from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "kuzbass.platform.councils"
    label = "councils"
    verbose_name = "Councils"

    def ready(self) -> None:
        """Mount the councils' router on the platform's API before its URLs are built, and
        have the task worker close ballots that fall due."""
        from kuzbass.platform.core import due
        from kuzbass.platform.core.api import api
        from kuzbass.platform.councils.api import router
        from kuzbass.platform.councils.services import close_due_ballots
        from kuzbass.platform.councils.verifiable_api import router as verifiable_router

        api.add_router("/", router)
        api.add_router("/", verifiable_router)
        due.register(close_due_ballots)
