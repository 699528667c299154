from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertiseConfig(AppConfig):
    name = "antenna.expertise"
    label = "expertise"
    verbose_name = _("Expertise desk")

    def ready(self) -> None:
        from antenna.expertise import attachments, reminders
        from antenna.notifications.periodic import register
        from antenna.proposals.attachments import register_upload_usage

        register("expertise_overdue", reminders.expertise_overdue)
        register_upload_usage("expertise", attachments.expertise_upload_usage)
