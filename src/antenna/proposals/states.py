"""Proposal states and the moves allowed between them (diagram in docs/state-machines.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class ProposalState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    TECHNICAL_REVIEW = "technical_review", _("Technical review")
    PEER_REVIEW = "peer_review", _("Peer review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


P = ProposalState
PROPOSAL_MACHINE = StateMachine(
    "proposal",
    {
        P.DRAFT: {P.SUBMITTED, P.WITHDRAWN},
        P.SUBMITTED: {P.TECHNICAL_REVIEW, P.REJECTED, P.WITHDRAWN},
        P.TECHNICAL_REVIEW: {P.PEER_REVIEW, P.ACCEPTED, P.REJECTED, P.WITHDRAWN},
        P.PEER_REVIEW: {P.ACCEPTED, P.REJECTED, P.WITHDRAWN},
        P.ACCEPTED: set(),
        P.REJECTED: set(),
        P.WITHDRAWN: set(),
    },
)

# States in which a proposal counts as the organisation's one proposal to its call.
COUNTS_FOR_CALL = (P.SUBMITTED, P.TECHNICAL_REVIEW, P.PEER_REVIEW, P.ACCEPTED, P.REJECTED)
OPEN_STATES = (P.SUBMITTED, P.TECHNICAL_REVIEW, P.PEER_REVIEW)
