"""/api/v1/notification-preferences: each person's choice per kind of notice."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut
from antenna.notifications.schemas import PreferencesIn, PreferencesOut
from antenna.notifications.selectors import digest_frequency_of, preferences_of
from antenna.notifications.services import notification_preferences_set

router = Router(tags=["notifications"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut}


def _mine(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    return {"kinds": preferences_of(user), "digest": digest_frequency_of(user)}


@router.get("", response={200: PreferencesOut, **ERRORS})
def get_preferences(request: HttpRequest) -> Any:
    return _mine(request)


@router.put("", response={200: PreferencesOut, **ERRORS})
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> Any:
    choices = {str(kind): str(delivery) for kind, delivery in payload.kinds.items()}
    notification_preferences_set(user=current_user(request), choices=choices,
                                 digest=payload.digest)
    return _mine(request)
