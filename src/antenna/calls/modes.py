"""The AI Factory access modes and their default rules (PRODUCT.md).

Every value here is only a default: a call stores its own copy, which operators change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.organizations.models import OrganizationKind


class AccessMode(models.TextChoices):
    PLAYGROUND = "playground", _("Playground")
    FAST_LANE = "fast_lane", _("Fast Lane")
    LARGE_SCALE = "large_scale", _("Large Scale")
    AI_FOR_SCIENCE = "ai_for_science", _("AI for Science and collaborative EU projects")


class ReviewProcess(models.TextChoices):
    AUTOMATIC = "automatic", _("Eligibility and automatic technical check")
    TECHNICAL = "technical", _("Technical assessment by the antenna")
    PEER = "technical_and_peer", _("Technical assessment and peer review")


@dataclass(frozen=True)
class ModeDefaults:
    review_process: str
    min_gpu_hours: int
    max_gpu_hours: int
    allowed_durations: tuple[int, ...]
    decision_target_days: int
    eligible_kinds: tuple[str, ...]
    summary: object = ""
    min_reviews: int = 0
    criteria: tuple[str, ...] = field(default_factory=tuple)


_INDUSTRY = (OrganizationKind.STARTUP, OrganizationKind.SME, OrganizationKind.LARGE_ENTERPRISE)
_ALL = tuple(OrganizationKind.values)

MODE_DEFAULTS: dict[str, ModeDefaults] = {
    AccessMode.PLAYGROUND: ModeDefaults(
        review_process=ReviewProcess.AUTOMATIC,
        min_gpu_hours=1,
        max_gpu_hours=5_000,
        allowed_durations=(1, 2, 3),
        decision_target_days=2,
        eligible_kinds=(*_INDUSTRY, OrganizationKind.RESEARCH_CENTRE,
                        OrganizationKind.UNIVERSITY, OrganizationKind.PUBLIC_ADMINISTRATION,
                        OrganizationKind.NON_PROFIT),
        summary=_(
            "Try AI on a supercomputer for the first time. A short form, checked "
            "automatically: if your request fits, access opens within minutes. Small "
            "budgets, one to three months, one system."
        ),
    ),
    AccessMode.FAST_LANE: ModeDefaults(
        review_process=ReviewProcess.TECHNICAL,
        min_gpu_hours=1,
        max_gpu_hours=50_000,
        allowed_durations=(1, 2, 3),
        decision_target_days=4,
        eligible_kinds=(OrganizationKind.STARTUP, OrganizationKind.SME),
        summary=_(
            "For startups and SMEs that already know HPC: up to 50,000 GPU-hours for one to "
            "three months, after a short technical assessment, decided within four working "
            "days."
        ),
    ),
    AccessMode.LARGE_SCALE: ModeDefaults(
        review_process=ReviewProcess.PEER,
        min_gpu_hours=50_001,
        max_gpu_hours=5_000_000,
        allowed_durations=(3, 6, 12),
        decision_target_days=10,
        eligible_kinds=_INDUSTRY,
        min_reviews=2,
        criteria=("excellence", "impact", "implementation"),
        summary=_(
            "High-impact industrial AI needing more than 50,000 GPU-hours for three to twelve "
            "months. Technical assessment and independent peer review, ranked at each "
            "cut-off; decided within ten working days of the cut-off."
        ),
    ),
    AccessMode.AI_FOR_SCIENCE: ModeDefaults(
        review_process=ReviewProcess.PEER,
        min_gpu_hours=1,
        max_gpu_hours=2_000_000,
        allowed_durations=(6,),
        decision_target_days=21,
        eligible_kinds=_ALL,
        min_reviews=2,
        criteria=("excellence", "impact", "implementation"),
        summary=_(
            "AI and machine-learning research by universities, research centres, public "
            "bodies and companies in EU-funded projects: six months, technical assessment and "
            "peer review, decided within a month of the cut-off."
        ),
    ),
}

DEFAULT_CRITERIA = ("excellence", "impact", "implementation")
CRITERION_LABELS = {
    "excellence": _("Scientific or technical excellence"),
    "impact": _("Impact"),
    "implementation": _("Quality and efficiency of the implementation"),
}
