"""/api/v1/events: training events, registrations and the waiting list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut
from antenna.core.errors import NotFound
from antenna.training.schemas import EventIn, EventOut, RegistrationOut
from antenna.training.selectors import event_get, event_list, registrations_visible
from antenna.training.services import event_create, registration_cancel, registration_create

router = Router(tags=["training"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}


def _event(pk: int) -> Any:
    try:
        return event_get(pk)
    except NotFound as exc:
        raise NotFound(_("Event %(pk)s not found.") % {"pk": pk}) from exc


@router.get("", response={200: list[EventOut], **ERRORS})
def list_events(request: HttpRequest) -> Any:
    current_user(request)
    return list(event_list())


@router.post("", response={201: EventOut, **ERRORS})
def create_event(request: HttpRequest, payload: EventIn) -> Any:
    return Status(201, event_create(by=current_user(request), **payload.dict(exclude_none=True)))


@router.post("/{event_id}/registrations", response={201: RegistrationOut, **ERRORS})
def register(request: HttpRequest, event_id: int) -> Any:
    registration = registration_create(event=_event(event_id), by=current_user(request))
    return Status(201, registration)


@router.get("/{event_id}/registrations", response={200: list[RegistrationOut], **ERRORS})
def list_registrations(request: HttpRequest, event_id: int) -> Any:
    return list(registrations_visible(_event(event_id), current_user(request)))


@router.delete("/{event_id}/registrations/mine", response={200: RegistrationOut, **ERRORS})
def cancel_mine(request: HttpRequest, event_id: int) -> Any:
    return registration_cancel(event=_event(event_id), by=current_user(request))
