"""Reads on organisations."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from antenna.accounts.models import User
from antenna.organizations.models import Invitation, Membership, Organization
from antenna.organizations.states import InvitationState


def organization_list(*, user: User, kind: str | None = None, region: str | None = None,
                      country: str | None = None) -> QuerySet[Organization]:
    qs = Organization.objects.visible_to(user)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region=region)
    if country:
        qs = qs.filter(country=country.upper())
    return qs.annotate(member_count=Count("memberships", distinct=True)).order_by("legal_name")


def memberships_of(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("role", "user__username")


def organizations_of_user(user: User) -> QuerySet[Organization]:
    """The organisations where `user` is a member (what they can apply for)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).distinct().order_by("legal_name")


def invitations_for(user: User) -> QuerySet[Invitation]:
    """The invitations `user` has not answered yet (what the invitations page lists)."""
    if not user.is_authenticated:
        return Invitation.objects.none()
    return (Invitation.objects.filter(invitee=user, state=InvitationState.INVITED)
            .select_related("organization", "invited_by").order_by("-created_at", "-id"))


def pending_invitations_of(organization: Organization) -> QuerySet[Invitation]:
    """Invitations of `organization` awaiting an answer, with or without an account behind."""
    return organization.invitations.filter(state=InvitationState.INVITED).order_by("username")


def organization_tie(user: User, organization_id: int) -> str | None:
    """How `user` is tied to an organisation: "member", "invited" (pending) or None."""
    if Membership.objects.filter(organization_id=organization_id, user_id=user.pk).exists():
        return "member"
    if Invitation.objects.filter(organization_id=organization_id, invitee_id=user.pk,
                                 state=InvitationState.INVITED).exists():
        return "invited"
    return None


def organization_insiders(organization_id: int) -> set[int]:
    """Ids of the members and of the people with a pending invitation."""
    members = Membership.objects.filter(organization_id=organization_id)
    invited = Invitation.objects.filter(organization_id=organization_id,
                                        state=InvitationState.INVITED, invitee__isnull=False)
    return (set(members.values_list("user_id", flat=True))
            | set(invited.values_list("invitee_id", flat=True)))
