from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "kuzbass.platform.councils"
    label = "councils"
    verbose_name = "Councils"
