"""Writes on organisations and memberships."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.countries import is_country_code
from antenna.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from antenna.core.schemas import check_web_url
from antenna.organizations.access import require_owner_or_operator
from antenna.organizations.enterprise_number import normalize_enterprise_number
from antenna.organizations.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    Region,
    Sector,
)
from antenna.organizations.states import INVITATION_MACHINE, InvitationState


def _clean_identity(
    *, legal_name: str, kind: str, country: str, region: str, sector: str,
    enterprise_number: str,
) -> dict[str, str]:
    legal_name = legal_name.strip()
    if not legal_name:
        raise ValidationFailed(_("Give the organisation's legal name."))
    if len(legal_name) > 200:
        raise ValidationFailed(_("Keep the legal name under 200 characters."))
    if kind not in OrganizationKind.values:
        raise ValidationFailed(
            _("Unknown organisation kind '%(kind)s'; use one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(OrganizationKind.values)}
        )
    country = country.strip().upper()
    if not is_country_code(country):
        raise ValidationFailed(
            _("Give the country as a two-letter ISO code, like BE or DE; got '%(c)s'.")
            % {"c": country}
        )
    if sector and sector not in Sector.values:
        raise ValidationFailed(
            _("Unknown sector '%(s)s'; use one of: %(all)s.")
            % {"s": sector, "all": ", ".join(Sector.values)}
        )
    if country == "BE":
        if region not in (Region.FLANDERS, Region.WALLONIA, Region.BRUSSELS):
            raise ValidationFailed(
                _("A Belgian organisation is in Flanders, Wallonia or Brussels-Capital: "
                  "set region to flanders, wallonia or brussels.")
            )
        if not enterprise_number.strip():
            raise ValidationFailed(
                _("A Belgian organisation needs its enterprise number (KBO/BCE), "
                  "like 0123.456.749.")
            )
        enterprise_number = normalize_enterprise_number(enterprise_number)
    else:
        if region and region != Region.OUTSIDE_BELGIUM:
            raise ValidationFailed(
                _("Region '%(r)s' is in Belgium but the country is %(c)s: set country to BE "
                  "or region to outside_belgium.") % {"r": region, "c": country}
            )
        region = Region.OUTSIDE_BELGIUM
        enterprise_number = ""
    return {
        "legal_name": legal_name, "kind": kind, "country": country, "region": region,
        "sector": sector or Sector.OTHER, "enterprise_number": enterprise_number,
    }


def organization_create(
    *,
    by: User,
    legal_name: str,
    kind: str,
    country: str,
    region: str = "",
    sector: str = "",
    website: str = "",
    enterprise_number: str = "",
    vat_number: str = "",
    first_time_hpc: bool = False,
) -> Organization:
    """Register an organisation; its creator becomes its owner."""
    if by.is_observer:
        raise PermissionDenied(_("Observers have read-only access."))
    fields = _clean_identity(legal_name=legal_name, kind=kind, country=country, region=region,
                             sector=sector, enterprise_number=enterprise_number)
    if len(website.strip()) > 200:
        raise ValidationFailed(_("Keep the website address under 200 characters."))
    try:
        check_web_url(website)
    except ValueError:
        raise ValidationFailed(
            _("Give the website as an address starting with https:// or http://, like "
              "https://example.org.")
        ) from None
    if len(vat_number.strip()) > 20:
        raise ValidationFailed(_("A VAT number has at most 20 characters."))
    if fields["enterprise_number"] and Organization.objects.filter(
        enterprise_number=fields["enterprise_number"]
    ).exists():
        raise Conflict(
            _("An organisation with enterprise number %(n)s is already registered: ask its "
              "owner to add you as a member.") % {"n": fields["enterprise_number"]}
        )
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                **fields, website=website.strip(), vat_number=vat_number.strip(),
                first_time_hpc=first_time_hpc, created_by=by,
            )
            Membership.objects.create(organization=organization, user=by,
                                      role=MembershipRole.OWNER)
            audit_record(action="organization.create", target=organization, by=by,
                         organization_id=organization.pk, after=fields)
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise Conflict(_("This organisation is already registered.")) from exc
    return organization


def _locked(organization: Organization) -> Organization:
    """Lock the organisation row: membership writes of one organisation run one at a time."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _check_role(role: str) -> None:
    if role not in MembershipRole.values:
        raise ValidationFailed(_("Role must be 'owner' or 'member'."))


def _membership(organization: Organization, username: str) -> Membership:
    membership = (Membership.objects.select_related("user")
                  .filter(organization=organization, user__username=username).first())
    if membership is None:
        raise NotFound(_("%(u)s is not a member of %(org)s.")
                       % {"u": username, "org": organization.legal_name})
    return membership


def _check_not_last_owner(membership: Membership, *, removing: bool) -> None:
    """The last owner stays: an organisation without an owner could not be managed."""
    if membership.role != MembershipRole.OWNER:
        return
    owners = Membership.objects.filter(organization_id=membership.organization_id,
                                       role=MembershipRole.OWNER).count()
    if owners > 1:
        return
    names = {"u": membership.user.username, "org": membership.organization.legal_name}
    if removing:
        raise Conflict(_("%(u)s is the last owner of %(org)s: name another owner first, then "
                         "remove them.") % names)
    raise Conflict(_("%(u)s is the last owner of %(org)s: name another owner first, then make "
                     "them a member.") % names)


def organization_add_member(
    *, organization: Organization, username: str, role: str = MembershipRole.MEMBER, by: User
) -> Membership:
    """Add a member directly, without an invitation: operators only (support, demo data).

    Owners invite (`invitation_create`); the person joins by accepting.
    """
    if not by.is_operator:
        raise PermissionDenied(_("Only operators add members directly; owners invite them, "
                                 "and they join by accepting."))
    _check_role(role)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(_("No user '%(u)s': they must sign up first.") % {"u": username})
    with transaction.atomic():
        organization = _locked(organization)
        membership, created = Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": role}
        )
        before = {} if created else {"role": membership.role}
        if not created and membership.role != role:
            if role == MembershipRole.MEMBER:
                _check_not_last_owner(membership, removing=False)
            membership.role = role
            membership.save(update_fields=["role"])
        audit_record(action="organization.add_member", target=organization, by=by,
                     organization_id=organization.pk, before=before,
                     after={"user": username, "role": role})
    return membership


def invitation_create(
    *, organization: Organization, username: str, role: str = MembershipRole.MEMBER, by: User
) -> Invitation:
    """Invite `username` to join; only owners and operators may.

    The answer is the same pending invitation whether the account exists or not, and whether
    it is already a member, so inviting reveals nothing about who has an account:

    - an active account: a pending invitation it can accept or decline;
    - no such active account: a pending invitation to nobody, which can never be accepted
      (the owner may revoke it);
    - already a member: nothing is stored (the owner sees the member list anyway; a role
      changes with `membership_set_role`); the returned invitation is not saved.

    Inviting again while an invitation is pending updates its role.
    """
    require_owner_or_operator(by, organization)
    _check_role(role)
    username = username.strip()
    if not username or len(username) > 150:
        raise ValidationFailed(_("Give the username of the person to invite (at most 150 "
                                 "characters)."))
    invitee = User.objects.filter(username=username, is_active=True).first()
    with transaction.atomic():
        organization = _locked(organization)
        if invitee is not None and Membership.objects.filter(
            organization=organization, user=invitee
        ).exists():
            audit_record(action="organization.invite", target=organization, by=by,
                         organization_id=organization.pk,
                         after={"username": username, "role": role, "outcome": "member"})
            return Invitation(organization=organization, username=username, role=role,
                              invited_by=by, state=InvitationState.INVITED)
        invitation = Invitation.objects.filter(organization=organization, username=username,
                                               state=InvitationState.INVITED).first()
        before: dict[str, str] = {}
        if invitation is None:
            invitation = Invitation.objects.create(organization=organization,
                                                   username=username, invitee=invitee,
                                                   role=role, invited_by=by)
        elif invitation.role != role:
            before = {"role": invitation.role}
            invitation.role = role
            invitation.save(update_fields=["role"])
        audit_record(action="organization.invite", target=invitation, by=by,
                     organization_id=organization.pk, before=before,
                     after={"username": username, "role": role,
                            "outcome": "invited" if invitee else "no_account"})
    return invitation


def _answer(invitation: Invitation, target: str, *, by: User, action: str) -> Invitation:
    with transaction.atomic():
        _locked(invitation.organization)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        INVITATION_MACHINE.check(invitation.state, target)
        if target == InvitationState.ACCEPTED:
            Membership.objects.get_or_create(organization_id=invitation.organization_id,
                                             user=by, defaults={"role": invitation.role})
        invitation.state = target
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["state", "answered_at"])
        audit_record(action=action, target=invitation, by=by,
                     organization_id=invitation.organization_id,
                     after={"username": invitation.username, "role": invitation.role,
                            "state": target})
    return invitation


def invitation_accept(*, invitation: Invitation, by: User) -> Invitation:
    """The invitee joins the organisation with the invitation's role."""
    if invitation.invitee_id is None or invitation.invitee_id != by.pk:
        raise NotFound(_("Invitation %(pk)s not found.") % {"pk": invitation.pk})
    return _answer(invitation, InvitationState.ACCEPTED, by=by,
                   action="organization.invitation_accept")


def invitation_decline(*, invitation: Invitation, by: User) -> Invitation:
    """The invitee says no; nothing else changes."""
    if invitation.invitee_id is None or invitation.invitee_id != by.pk:
        raise NotFound(_("Invitation %(pk)s not found.") % {"pk": invitation.pk})
    return _answer(invitation, InvitationState.DECLINED, by=by,
                   action="organization.invitation_decline")


def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """An owner (or an operator) withdraws a pending invitation."""
    require_owner_or_operator(by, invitation.organization)
    return _answer(invitation, InvitationState.REVOKED, by=by,
                   action="organization.invitation_revoke")


def membership_remove(*, organization: Organization, username: str, by: User) -> None:
    """An owner (or an operator) removes a member; the last owner cannot be removed."""
    require_owner_or_operator(by, organization)
    with transaction.atomic():
        organization = _locked(organization)
        membership = _membership(organization, username)
        _check_not_last_owner(membership, removing=True)
        role = membership.role
        membership.delete()
        audit_record(action="organization.remove_member", target=organization, by=by,
                     organization_id=organization.pk,
                     before={"user": username, "role": role})


def membership_set_role(*, organization: Organization, username: str, role: str,
                        by: User) -> Membership:
    """An owner (or an operator) makes a member an owner or back; the last owner stays one."""
    require_owner_or_operator(by, organization)
    _check_role(role)
    with transaction.atomic():
        organization = _locked(organization)
        membership = _membership(organization, username)
        before = membership.role
        if before != role:
            if role == MembershipRole.MEMBER:
                _check_not_last_owner(membership, removing=False)
            membership.role = role
            membership.save(update_fields=["role"])
        audit_record(action="organization.set_member_role", target=organization, by=by,
                     organization_id=organization.pk,
                     before={"user": username, "role": before},
                     after={"user": username, "role": role})
    return membership
