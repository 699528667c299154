"""Notices: what the portal tells a person (in the portal's list, and by e-mail)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    PROPOSAL_DECIDED = "proposal_decided", _("Proposal decided")
    EXPERT_ASSIGNED = "expert_assigned", _("Expertise request assigned")
    EXPERTISE_MESSAGE = "expertise_message", _("New message on an expertise request")
    EXPERTISE_RESOLVED = "expertise_resolved", _("Expertise request resolved")
    EVENT_PROMOTED = "event_promoted", _("Promoted from an event's waiting list")


class Notice(models.Model):
    """One thing a person is told: shown in their notice list, and e-mailed once after the
    transaction that caused it commits (`emailed_at` set when the mail server took it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notices")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"
