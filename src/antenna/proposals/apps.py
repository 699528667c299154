from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "antenna.proposals"
    label = "proposals"
    verbose_name = _("Proposals")

    def ready(self) -> None:
        from antenna.notifications.periodic import register
        from antenna.proposals import reminders

        register("reviews_due", reminders.reviews_due)
        register("reviews_overdue", reminders.reviews_overdue)
