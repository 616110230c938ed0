from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "kuzbass.platform.plans"
    label = "plans"
    verbose_name = "Plan cycle"

    def ready(self) -> None:
        from kuzbass.platform.core.api import api
        from kuzbass.platform.plans import signals  # noqa: F401
        from kuzbass.platform.plans.api import router

        api.add_router("/plans/", router)
