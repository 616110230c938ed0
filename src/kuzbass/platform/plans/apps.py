from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "kuzbass.platform.plans"
    label = "plans"
    verbose_name = "Plan cycle"

    def ready(self) -> None:
        """Mount the plans' router on the API, and have the task worker close participatory
        rounds at their deadlines."""
        from kuzbass.platform.core import due
        from kuzbass.platform.core.api import api
        from kuzbass.platform.plans import signals  # noqa: F401
        from kuzbass.platform.plans.api import router
        from kuzbass.platform.plans.services import close_due_rounds

        api.add_router("/plans/", router)
        due.register(close_due_rounds)
