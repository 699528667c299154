"""Reading training events and registrations."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from antenna.accounts.models import User
from antenna.core.errors import NotFound
from antenna.training.models import Registration, TrainingEvent
from antenna.training.states import RegistrationState


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


def event_upcoming() -> QuerySet[TrainingEvent]:
    """Events not over yet, the soonest first."""
    return TrainingEvent.objects.filter(ends_at__gte=timezone.now()).order_by("starts_at", "pk")


def upcoming_with_places_left(limit: int = 200) -> list[tuple[TrainingEvent, int]]:
    """The upcoming events and how many places each has left (0: new registrants wait)."""
    events = event_upcoming().annotate(
        taken=Count("registrations", filter=Q(registrations__state=RegistrationState.REGISTERED)))
    return [(e, max(e.capacity - e.taken, 0)) for e in events[:limit]]


def places_taken(event: TrainingEvent) -> int:
    return Registration.objects.filter(event=event, state=RegistrationState.REGISTERED).count()


@dataclass(frozen=True)
class MyPlace:
    """`user`'s active registration at an event, and their place on the waiting list (1 is
    next), None when registered."""

    registration: Registration
    waiting_position: int | None


def my_place(event: TrainingEvent, user: User) -> MyPlace | None:
    if not user.is_authenticated:
        return None
    mine = (Registration.objects.filter(event=event, user=user)
            .exclude(state=RegistrationState.CANCELLED).first())
    if mine is None:
        return None
    if mine.state != RegistrationState.WAITING:
        return MyPlace(mine, None)
    ahead = (Registration.objects.filter(event=event, state=RegistrationState.WAITING)
             .filter(Q(created_at__lt=mine.created_at)
                     | Q(created_at=mine.created_at, pk__lt=mine.pk)).count())
    return MyPlace(mine, ahead + 1)
