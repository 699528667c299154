"""API schemas of notification preferences."""

from __future__ import annotations

from typing import Literal

from ninja import Schema

from antenna.core.schemas import InputSchema

KindName = Literal[
    "proposal_submitted", "proposal_decided", "review_assigned", "review_due",
    "review_overdue", "allocation_usage", "allocation_ending", "final_report_due",
    "final_report_overdue", "expert_assigned", "expertise_message", "expertise_resolved",
    "expertise_overdue", "event_registered", "event_reminder", "event_promoted",
    "opportunities",
]
DeliveryName = Literal["off", "immediate", "digest"]
DigestName = Literal["daily", "weekly"]


class PreferencesIn(InputSchema):
    """The kinds named are changed, the others kept; `digest` is optional."""

    kinds: dict[KindName, DeliveryName] = {}
    digest: DigestName | None = None


class PreferencesOut(Schema):
    kinds: dict[str, str]
    digest: str
