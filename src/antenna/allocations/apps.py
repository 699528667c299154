from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "antenna.allocations"
    label = "allocations"
    verbose_name = _("Allocations")

    def ready(self) -> None:
        from antenna.allocations import reminders
        from antenna.notifications.periodic import register

        register("allocations_usage", reminders.allocations_usage)
        register("allocations_ending", reminders.allocations_ending)
        register("final_reports_due", reminders.final_reports_due)
        register("final_reports_overdue", reminders.final_reports_overdue)
