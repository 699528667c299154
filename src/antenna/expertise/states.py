"""Expertise request states and the moves allowed between them (docs/state-machines.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class RequestState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting_for_requester", _("Waiting for the requester")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


R = RequestState
REQUEST_MACHINE = StateMachine(
    "expertise request",
    {
        R.NEW: {R.ASSIGNED, R.CLOSED},
        R.ASSIGNED: {R.IN_PROGRESS, R.WAITING, R.RESOLVED, R.CLOSED},
        R.IN_PROGRESS: {R.WAITING, R.RESOLVED, R.CLOSED},
        R.WAITING: {R.IN_PROGRESS, R.RESOLVED, R.CLOSED},
        R.RESOLVED: {R.IN_PROGRESS, R.CLOSED},
        R.CLOSED: set(),
    },
)

# States in which the request holds a place in its expert's capacity.
OPEN_STATES = (R.NEW, R.ASSIGNED, R.IN_PROGRESS, R.WAITING)
# States in which an operator may (re)assign the request.
ASSIGNABLE_STATES = OPEN_STATES
