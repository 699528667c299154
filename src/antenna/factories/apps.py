from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoriesConfig(AppConfig):
    name = "antenna.factories"
    label = "factories"
    verbose_name = _("Factories")
