"""Registration states: registered, waiting (on the list), cancelled (docs/state-machines.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


S = RegistrationState
REGISTRATION_MACHINE = StateMachine(
    "registration",
    {S.WAITING: {S.REGISTERED, S.CANCELLED}, S.REGISTERED: {S.CANCELLED}, S.CANCELLED: set()},
)
