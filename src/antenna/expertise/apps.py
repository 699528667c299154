from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertiseConfig(AppConfig):
    name = "antenna.expertise"
    label = "expertise"
    verbose_name = _("Expertise desk")

    def ready(self) -> None:
        from antenna.expertise import reminders
        from antenna.notifications.periodic import register

        register("expertise_overdue", reminders.expertise_overdue)
