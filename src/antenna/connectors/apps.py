from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    """No models: the connector interface, its registry and the connectors."""

    name = "antenna.connectors"
    label = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from antenna.connectors import checks  # noqa: F401 - registers the deploy check
