"""Notices: what the portal tells a person (in the portal's list, and by e-mail), each
person's choice per kind (off, immediately, digest), and the e-mail outbox state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    PROPOSAL_SUBMITTED = "proposal_submitted", _("Proposal submitted")
    PROPOSAL_DECIDED = "proposal_decided", _("Proposal decided")
    REVIEW_ASSIGNED = "review_assigned", _("Review assigned")
    REVIEW_DUE = "review_due", _("Review due soon")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue")
    ALLOCATION_USAGE = "allocation_usage", _("Allocation used up to 80 or 100 percent")
    ALLOCATION_ENDING = "allocation_ending", _("Allocation ending (30, 7 and 0 days)")
    FINAL_REPORT_DUE = "final_report_due", _("Final report due")
    FINAL_REPORT_OVERDUE = "final_report_overdue", _("Final report overdue")
    EXPERT_ASSIGNED = "expert_assigned", _("Expertise request assigned")
    EXPERTISE_MESSAGE = "expertise_message", _("New message on an expertise request")
    EXPERTISE_RESOLVED = "expertise_resolved", _("Expertise request resolved")
    EXPERTISE_OVERDUE = "expertise_overdue", _("Expertise request overdue")
    EVENT_REGISTERED = "event_registered", _("Event registration")
    EVENT_REMINDER = "event_reminder", _("Event reminder")
    EVENT_PROMOTED = "event_promoted", _("Promoted from an event's waiting list")
    OPPORTUNITIES = "opportunities", _("New matching opportunities (weekly)")


class Delivery(models.TextChoices):
    """How a person wants one kind of notice e-mailed."""

    OFF = "off", _("Off (portal list only)")
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("In my digest")


class EmailState(models.TextChoices):
    """A notice's place in the e-mail outbox (sent by the worker, never by the request)."""

    NONE = "none", _("Not e-mailed")  # delivery off, or no e-mail address
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """One thing a person is told: shown in their notice list and, unless they turned the
    kind off, e-mailed by the worker's outbox step (`email_state`: pending → sending → sent,
    back to pending with back-off after a failure, failed after the last attempt).

    Notices found by the worker's periodic step (a review due, an allocation ending, ...)
    carry their object and `occasion`; the database keeps one per (user, kind, object,
    occasion)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notices")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    target_type = models.CharField(max_length=64, blank=True,
                                   help_text="app_label.model of the object the notice is about")
    target_id = models.BigIntegerField(null=True, blank=True)
    occasion = models.CharField(
        max_length=32, blank=True,
        help_text="Which time-based occasion (e.g. 'days_7', 'used_80', '2026-W49'); empty "
                  "for notices caused by an action, which may repeat.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=16, choices=Delivery.choices,
                                default=Delivery.IMMEDIATE)
    email_state = models.CharField(max_length=16, choices=EmailState.choices,
                                   default=EmailState.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True,
                             help_text="The worker's claim token while it sends")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["email_state", "next_attempt_at"]),
            models.Index(fields=["kind", "target_type", "target_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "target_type", "target_id", "occasion"],
                condition=~Q(occasion=""), name="notice_once_per_occasion"),
            models.CheckConstraint(
                condition=Q(email_state="sent", emailed_at__isnull=False)
                | ~Q(email_state="sent"), name="notice_sent_has_emailed_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"


class NotificationPreference(models.Model):
    """A person's choice for one kind of notice: off, immediately, or in their digest. A kind
    without a row uses its default (`preferences.DEFAULTS`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly (Mondays)")


class DigestSetting(models.Model):
    """How often a person's digest is e-mailed (daily by default)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="digest_setting")
    frequency = models.CharField(max_length=8, choices=DigestFrequency.choices,
                                 default=DigestFrequency.DAILY)

    def __str__(self) -> str:
        return f"{self.user}: {self.frequency}"
