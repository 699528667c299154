from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "antenna.core"
    label = "core"
    verbose_name = "Core"
