from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoriesConfig(AppConfig):
    name = "antenna.factories"
    label = "factories"
    verbose_name = _("Factories")

    def ready(self) -> None:
        from antenna.accounts.signals import federated_sign_in_done
        from antenna.factories.receivers import verify_site_accounts_from_claim

        federated_sign_in_done.connect(verify_site_accounts_from_claim,
                                       dispatch_uid="factories.site_accounts_from_claim")
