"""Writes of training events: publish, register (or wait), cancel with promotion in order."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from antenna.core.translated import in_base_language, read_when_shown, translation_names
from antenna.notifications.models import NoticeKind
from antenna.notifications.services import notice_send
from antenna.training.models import Registration, TrainingEvent
from antenna.training.states import REGISTRATION_MACHINE, RegistrationState

S = RegistrationState


def event_create(*, title: str, starts_at: dt.datetime, ends_at: dt.datetime, capacity: int,
                 language: str = "en", online: bool = True, place: str = "", level: str = "",
                 topics: list[str] | None = None, description: str = "", by: User,
                 **translations: str | None) -> TrainingEvent:
    """An operator publishes an event; `title`, `description` are English, `title_fr`, ...
    the other languages (empty: English is shown)."""
    if not by.is_operator:
        raise PermissionDenied(_("Only operators can publish events."))
    if ends_at <= starts_at:
        raise ValidationFailed(_("ends_at: must be after starts_at."))
    if capacity < 1:
        raise ValidationFailed(_("capacity: at least 1."))
    if not online and not place.strip():
        raise ValidationFailed(_("place: say where an on-site event takes place."))
    texts = _translations(translations)
    with transaction.atomic(), in_base_language():
        event = TrainingEvent.objects.create(
            title=title.strip(), description=description.strip(), starts_at=starts_at,
            ends_at=ends_at, capacity=capacity, language=language, online=online,
            place=place.strip(), level=level, topics=list(topics or []), created_by=by,
            **texts)
        audit_record(action="event.create", target=event, by=by,
                     after={"title": event.title, "capacity": capacity})
    return event


def _translations(given: dict[str, str | None]) -> dict[str, str]:
    unknown = set(given) - set(translation_names("title", "description"))
    if unknown:
        raise ValidationFailed(_("Unknown event fields: %(f)s.")
                               % {"f": ", ".join(sorted(unknown))})
    return {name: (text or "").strip() for name, text in given.items()}


def _locked(event: TrainingEvent) -> TrainingEvent:
    return TrainingEvent.objects.select_for_update().get(pk=event.pk)


def registration_create(*, event: TrainingEvent, by: User) -> Registration:
    """Register `by`, or put them on the waiting list when the event is full."""
    with transaction.atomic():
        e = _locked(event)
        if Registration.objects.filter(event=e, user=by).exclude(state=S.CANCELLED).exists():
            raise Conflict(_("You are already registered for this event (or waiting)."))
        taken = Registration.objects.filter(event=e, state=S.REGISTERED).count()
        state = S.REGISTERED if taken < e.capacity else S.WAITING
        registration = Registration.objects.create(event=e, user=by, state=state)
        audit_record(action="event.register", target=registration, by=by,
                     after={"event": e.pk, "state": state})
        when = timezone.localtime(e.starts_at).strftime("%Y-%m-%d %H:%M")
        if state == S.REGISTERED:
            subject = gettext_lazy("Registered: %(title)s")
            body = gettext_lazy("You are registered for %(title)s, on %(when)s.")
        else:
            subject = gettext_lazy("On the waiting list: %(title)s")
            body = gettext_lazy("%(title)s (%(when)s) is full: you are on its waiting list "
                                "and will be told if a place frees up.")
        notice_send(users=[by], kind=NoticeKind.EVENT_REGISTERED, subject=subject, body=body,
                    params={"title": e.title, "when": when}, by=by)
    return registration


def registration_cancel(*, event: TrainingEvent, by: User) -> Registration:
    """`by` cancels their place; the first on the waiting list takes a freed place."""
    with transaction.atomic():
        e = _locked(event)
        registration = (Registration.objects.filter(event=e, user=by)
                        .exclude(state=S.CANCELLED).first())
        if registration is None:
            raise NotFound(_("You have no registration for this event."))
        was = registration.state
        REGISTRATION_MACHINE.check(was, S.CANCELLED)
        registration.state = S.CANCELLED
        registration.save(update_fields=["state"])
        audit_record(action="event.cancel", target=registration, by=by,
                     before={"state": was}, after={"state": S.CANCELLED})
        if was == S.REGISTERED:
            following = (Registration.objects.filter(event=e, state=S.WAITING)
                         .select_related("user").order_by("created_at", "pk").first())
            if following is not None:
                REGISTRATION_MACHINE.check(following.state, S.REGISTERED)
                following.state = S.REGISTERED
                following.save(update_fields=["state"])
                audit_record(action="event.promote", target=following, by=by,
                             before={"state": S.WAITING}, after={"state": S.REGISTERED})
                notice_send(users=[following.user], kind=NoticeKind.EVENT_PROMOTED,
                            subject=gettext_lazy("You have a place at %(title)s"),
                            body=gettext_lazy("A place freed up: you are now registered for "
                                              "%(title)s."),
                            params={"title": read_when_shown(e, "title")}, by=by)
    return registration
