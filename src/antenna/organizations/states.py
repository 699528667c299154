"""Invitation states and the moves allowed between them (diagram in docs/state-machines.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class InvitationState(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


I = InvitationState  # noqa: E741
INVITATION_MACHINE = StateMachine(
    "invitation",
    {
        I.INVITED: {I.ACCEPTED, I.DECLINED, I.REVOKED},
        I.ACCEPTED: set(),
        I.DECLINED: set(),
        I.REVOKED: set(),
    },
)
