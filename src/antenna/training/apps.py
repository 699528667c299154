from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "antenna.training"
    label = "training"
    verbose_name = _("Training events")

    def ready(self) -> None:
        from antenna.notifications.periodic import register
        from antenna.training import reminders

        register("events_remind", reminders.events_remind)
