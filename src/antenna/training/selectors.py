"""Reading training events and registrations."""

from __future__ import annotations

from django.db.models import QuerySet

from antenna.accounts.models import User
from antenna.core.errors import NotFound
from antenna.training.models import Registration, TrainingEvent


def event_list() -> QuerySet[TrainingEvent]:
    return TrainingEvent.objects.all()


def event_get(pk: int) -> TrainingEvent:
    """Events are public to signed-in users: only a missing one is NotFound."""
    event = TrainingEvent.objects.filter(pk=pk).first()
    if event is None:
        raise NotFound(f"Event {pk} not found.")
    return event


def registrations_visible(event: TrainingEvent, user: User) -> QuerySet[Registration]:
    """Operators and observers see every registration; others only their own."""
    qs = Registration.objects.filter(event=event).select_related("user")
    return qs if user.sees_everything else qs.filter(user=user)
