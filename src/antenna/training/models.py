"""Training events the antenna runs, and who registered for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from antenna.training.states import RegistrationState


class TrainingEvent(models.Model):
    """A course or workshop: dates, online or a place, language, level, capacity, topics."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"))
    language = models.CharField(_("language"), max_length=2, default="en")
    online = models.BooleanField(_("online"), default=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=32, blank=True)
    topics = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    # Stored text in four languages (translation.py): the manager reads the language columns.
    objects: MultilingualManager[TrainingEvent] = MultilingualManager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="training_event_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    """A person's place at an event, or on its waiting list (promoted in order of arrival)."""

    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE,
                              related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="event_registrations")
    state = models.CharField(max_length=16, choices=RegistrationState.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["event", "user"], condition=~Q(state=RegistrationState.CANCELLED),
            name="registration_one_active_per_user")]

    def __str__(self) -> str:
        return f"{self.user} at {self.event} ({self.state})"
