from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "antenna.opportunities"
    label = "opportunities"
    verbose_name = _("European opportunities")
