"""Who may see and manage an organisation. Every view and endpoint goes through here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import NotFound, PermissionDenied
from antenna.organizations.models import Invitation, Membership, MembershipRole, Organization


def organization_for_user(user: User, pk: int) -> Organization:
    """The organisation if `user` may see it; NotFound otherwise (missing or not theirs)."""
    organization = Organization.objects.visible_to(user).filter(pk=pk).first()
    if organization is None:
        raise NotFound(_("Organisation %(pk)s not found.") % {"pk": pk})
    return organization


def invitation_for_invitee(user: User, pk: int) -> Invitation:
    """An invitation addressed to `user`; NotFound for anyone else's (or a missing one)."""
    if not user.is_authenticated:
        raise NotFound(_("Invitation %(pk)s not found.") % {"pk": pk})
    invitation = (Invitation.objects.select_related("organization", "invited_by")
                  .filter(pk=pk, invitee=user).first())
    if invitation is None:
        raise NotFound(_("Invitation %(pk)s not found.") % {"pk": pk})
    return invitation


def invitation_of_organization(organization: Organization, pk: int) -> Invitation:
    """A pending or past invitation of `organization` (whose access the caller checked)."""
    invitation = Invitation.objects.filter(pk=pk, organization=organization).first()
    if invitation is None:
        raise NotFound(_("Invitation %(pk)s not found.") % {"pk": pk})
    return invitation


def is_member(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(organization=organization, user=user).exists()


def is_owner(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(
        organization=organization, user=user, role=MembershipRole.OWNER
    ).exists()


def require_member(user: User, organization: Organization) -> None:
    """Applying on behalf of an organisation needs membership (operators are not members)."""
    if not is_member(user, organization):
        raise PermissionDenied(
            _("Only members of %(org)s can do this.") % {"org": organization.legal_name}
        )


def require_owner_or_operator(user: User, organization: Organization) -> None:
    """Managing members needs the owner role in the organisation, or the operator role."""
    if user.is_operator:
        return
    if not is_owner(user, organization):
        raise PermissionDenied(
            _("Only an owner of %(org)s can manage its members.")
            % {"org": organization.legal_name}
        )
