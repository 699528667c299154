"""Allocation states and the moves allowed between them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class AllocationState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", _("Closed")


A = AllocationState
ALLOCATION_MACHINE = StateMachine(
    "allocation",
    {
        A.ACTIVE: {A.SUSPENDED, A.EXPIRED, A.CLOSED},
        A.SUSPENDED: {A.ACTIVE, A.EXPIRED, A.CLOSED},
        A.EXPIRED: {A.CLOSED},
        A.CLOSED: set(),
    },
)
