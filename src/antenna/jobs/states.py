"""Job states and the moves allowed between them (diagram in docs/state-machines.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUBMITTED = "submitted", _("Submitted")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    TIMEOUT = "timeout", _("Timed out")


J = JobState
JOB_MACHINE = StateMachine(
    "job",
    {
        # queued: stored, budget reserved, waiting for the worker to place and dispatch it.
        J.QUEUED: {J.SUBMITTED, J.CANCELLED, J.FAILED},
        # submitted: the factory's scheduler holds it (pending there).
        J.SUBMITTED: {J.RUNNING, J.COMPLETED, J.FAILED, J.CANCELLED, J.TIMEOUT},
        J.RUNNING: {J.COMPLETED, J.FAILED, J.CANCELLED, J.TIMEOUT},
        J.COMPLETED: set(),
        J.FAILED: set(),
        J.CANCELLED: set(),
        J.TIMEOUT: set(),
    },
)

ACTIVE_STATES = (J.QUEUED, J.SUBMITTED, J.RUNNING)
AT_FACTORY_STATES = (J.SUBMITTED, J.RUNNING)
FINAL_STATES = (J.COMPLETED, J.FAILED, J.CANCELLED, J.TIMEOUT)
