"""Who may see an expertise request. Views and endpoints fetch requests only through here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import NotFound
from antenna.expertise.models import ExpertiseRequest


def expertise_request_for_user(user: User, pk: int) -> ExpertiseRequest:
    """The request if `user` may see it (operators, observers, the assigned expert, members
    of its organisation); NotFound otherwise (missing or not theirs)."""
    request = (
        ExpertiseRequest.objects.visible_to(user)
        .select_related("organization", "requester", "expert", "proposal", "allocation")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise NotFound(_("Expertise request %(pk)s not found.") % {"pk": pk})
    return request
