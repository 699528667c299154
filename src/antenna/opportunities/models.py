"""European opportunities: calls and services an organisation may apply to, kept by operators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager


class OpportunityKind(models.TextChoices):
    EUROHPC = "eurohpc", _("EuroHPC access call")
    AI_FACTORY = "ai_factory", _("AI Factory access call")
    HORIZON = "horizon_europe", _("Horizon Europe topic")
    DIGITAL = "digital_europe", _("Digital Europe topic")
    EDIH = "edih", _("EDIH service")
    TEF = "tef", _("Testing and experimentation facility (TEF)")
    NATIONAL = "national", _("National or regional scheme")


class Opportunity(models.Model):
    """One call or service, with its deadline and who may apply: organisation kinds, sectors,
    regions and ISO countries (an empty list means any)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OpportunityKind.choices)
    deadline = models.DateField(_("deadline"))
    eligible_kinds = models.JSONField(default=list, blank=True)
    sectors = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    url = models.URLField(_("link"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    # Stored text in four languages (translation.py): the manager reads the language columns.
    objects: MultilingualManager[Opportunity] = MultilingualManager()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name_plural = _("opportunities")

    def __str__(self) -> str:
        return self.title
