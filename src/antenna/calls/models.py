"""Access calls: an open door to compute under one access mode, with its rules."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager, MultilingualQuerySet

from antenna.calls.modes import AccessMode, ReviewProcess
from antenna.factories.models import Factory


class CallQuerySet(MultilingualQuerySet["Call"]):
    def open_on(self, day: dt.date) -> CallQuerySet:
        """Calls accepting submissions on `day`."""
        return self.filter(
            Q(opens_on__isnull=True) | Q(opens_on__lte=day),
            Q(closes_on__isnull=True) | Q(closes_on__gte=day),
            is_published=True,
        )


class Call(models.Model):
    """An access call under one mode, with its eligibility rules and review process.

    Every rule is stored on the call (filled from the mode's defaults) so operators can
    change them per call without a code change.
    """

    title = models.CharField(_("title"), max_length=200)
    mode = models.CharField(_("access mode"), max_length=32, choices=AccessMode.choices)
    description = models.TextField(_("description"), blank=True)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True,
                                 help_text=_("Empty: permanently open."))
    cutoff_dates = models.JSONField(_("cut-off dates"), default=list, blank=True,
                                    help_text=_("ISO dates, e.g. [\"2026-12-01\"]."))
    eligible_kinds = models.JSONField(_("eligible organisation kinds"), default=list)
    eligible_countries = models.JSONField(_("eligible countries"), default=list)
    min_gpu_hours = models.PositiveIntegerField(_("minimum GPU-hours"), default=1)
    max_gpu_hours = models.PositiveIntegerField(_("maximum GPU-hours"))
    allowed_durations = models.JSONField(_("allowed durations (months)"), default=list)
    factories = models.ManyToManyField(Factory, related_name="calls", verbose_name=_("factories"))
    review_process = models.CharField(_("review process"), max_length=32,
                                      choices=ReviewProcess.choices)
    min_reviews = models.PositiveSmallIntegerField(_("peer reviews needed"), default=0)
    review_criteria = models.JSONField(_("review criteria"), default=list, blank=True)
    decision_target_days = models.PositiveSmallIntegerField(_("decision target (working days)"))
    require_pi_contract_margin = models.BooleanField(
        _("PI contract must outlast the allocation by 3 months"), default=False
    )
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Stored text in four languages (translation.py): the manager reads the language columns.
    objects = MultilingualManager.from_queryset(CallQuerySet)()

    class Meta:
        ordering = ["mode", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(min_gpu_hours__lte=models.F("max_gpu_hours")),
                                   name="call_min_le_max_gpu_hours"),
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(opens_on__isnull=True)
                | Q(closes_on__gte=models.F("opens_on")),
                name="call_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reviews_required(self) -> int:
        """The completed peer reviews a proposal needs before it can be accepted, and so the
        reviewers auto-assignment aims for: `min_reviews`, never fewer than two, on a
        peer-reviewed call; none on the others."""
        if self.review_process != ReviewProcess.PEER:
            return 0
        return max(2, self.min_reviews)

    @property
    def is_permanent(self) -> bool:
        return self.closes_on is None

    def is_open(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        if not self.is_published:
            return False
        if self.opens_on and day < self.opens_on:
            return False
        return not (self.closes_on and day > self.closes_on)

    def next_cutoff(self, day: dt.date | None = None) -> dt.date | None:
        day = day or timezone.localdate()
        upcoming = sorted(dt.date.fromisoformat(d) for d in self.cutoff_dates
                          if dt.date.fromisoformat(d) >= day)
        return upcoming[0] if upcoming else None
