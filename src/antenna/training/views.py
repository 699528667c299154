"""Training pages: the upcoming events, an event with registration (or the waiting list), and
their iCalendar files. The events are public; registering needs an account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.core.errors import AntennaError, NotFound
from antenna.training.ical import calendar_of
from antenna.training.models import TrainingEvent
from antenna.training.selectors import (
    event_get,
    event_upcoming,
    my_place,
    places_taken,
    upcoming_with_places_left,
)
from antenna.training.services import registration_cancel, registration_create
from antenna.training.states import RegistrationState

LEVEL_LABELS = {"beginner": gettext_lazy("Beginner"),
                "intermediate": gettext_lazy("Intermediate"),
                "advanced": gettext_lazy("Advanced")}


def _event_or_404(pk: int) -> TrainingEvent:
    try:
        return event_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def event_index(request: HttpRequest) -> HttpResponse:
    return render(request, "training/list.html", {"events": upcoming_with_places_left()})


def _detail_context(request: HttpRequest, event: TrainingEvent) -> dict[str, object]:
    taken = places_taken(event)
    return {"event": event, "taken": taken, "left": max(event.capacity - taken, 0),
            "level": LEVEL_LABELS.get(event.level, event.level),
            "mine": my_place(event, request.user),  # type: ignore[arg-type]
            "is_over": event.ends_at < timezone.now(),
            "registered": RegistrationState.REGISTERED, "waiting": RegistrationState.WAITING}


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "training/detail.html", _detail_context(request, _event_or_404(pk)))


def _act(request: HttpRequest, pk: int, register: bool) -> HttpResponse:
    user = current_user(request)
    event = _event_or_404(pk)
    try:
        if register:
            registration = registration_create(event=event, by=user)
            if registration.state == RegistrationState.WAITING:
                messages.info(request, _("The event is full: you are on the waiting list."))
            else:
                messages.success(request, _("You are registered."))
        else:
            registration_cancel(event=event, by=user)
            messages.success(request, _("Your registration is cancelled."))
    except AntennaError as exc:
        messages.error(request, exc.message)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "training/_registration.html", _detail_context(request, event))
    return redirect("training:detail", pk)


@login_required
@require_POST
def event_register(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, register=True)


@login_required
@require_POST
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, register=False)


def _ics(request: HttpRequest, events: list[TrainingEvent], name: str,
         filename: str) -> HttpResponse:
    body = calendar_of(
        events, url_of={e.pk: request.build_absolute_uri(reverse("training:detail", args=[e.pk]))
                        for e in events},
        host=request.get_host().split(":")[0], name=name, online_label=_("Online"),
        now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(pk)
    return _ics(request, [event], event.title, f"event-{event.pk}.ics")


def event_feed(request: HttpRequest) -> HttpResponse:
    """Every upcoming event, for a calendar application to subscribe to."""
    return _ics(request, list(event_upcoming()[:200]), _("Antenna training events"),
                "antenna-events.ics")
