from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "antenna.opportunities"
    label = "opportunities"
    verbose_name = _("European opportunities")

    def ready(self) -> None:
        from antenna.notifications.periodic import register
        from antenna.opportunities import reminders

        register("opportunities_weekly", reminders.opportunities_weekly)
