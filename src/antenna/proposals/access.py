"""Who may see a proposal. Views and endpoints fetch proposals only through here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import NotFound
from antenna.proposals.models import Proposal


def proposal_for_user(user: User, pk: int) -> Proposal:
    """The proposal if `user` may see it; NotFound otherwise (missing or not theirs)."""
    proposal = (
        Proposal.objects.visible_to(user)
        .select_related("call", "organization", "factory", "principal_investigator")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise NotFound(_("Proposal %(pk)s not found.") % {"pk": pk})
    return proposal
