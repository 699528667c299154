"""Conflicts of interest: who may not review or decide a proposal, and why.

One function decides it, and the services ask it at every step where judgement is passed on
a proposal: assigning a reviewer, submitting a review, deciding. Ties change after an
assignment (a reviewer may join the applicant organisation later), so checking only once is
not enough.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import Conflict
from antenna.organizations.selectors import organization_tie
from antenna.proposals.models import Proposal


def conflict_of_interest(user: User, proposal: Proposal) -> str | None:
    """Why `user` may not judge `proposal`, or None when nothing ties them to the applicant.

    A member of the applicant organisation, and anyone invited to it (a pending invitation),
    is conflicted.
    """
    tie = organization_tie(user, proposal.organization_id)
    names = {"u": user.username, "org": proposal.organization.legal_name}
    if tie == "member":
        return _("Conflict of interest: %(u)s is a member of %(org)s, the applicant "
                 "organisation, and cannot review or decide this proposal.") % names
    if tie == "invited":
        return _("Conflict of interest: %(u)s is invited to join %(org)s, the applicant "
                 "organisation, and cannot review or decide this proposal.") % names
    return None


def require_no_conflict(user: User, proposal: Proposal) -> None:
    """Raise Conflict (HTTP 409) naming the tie when `user` is conflicted on `proposal`."""
    reason = conflict_of_interest(user, proposal)
    if reason is not None:
        raise Conflict(reason)
