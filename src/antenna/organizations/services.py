"""Writes on organisations and memberships."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.countries import is_country_code
from antenna.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from antenna.core.schemas import check_web_url
from antenna.organizations.access import require_owner_or_operator
from antenna.organizations.enterprise_number import normalize_enterprise_number
from antenna.organizations.models import (
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    Region,
    Sector,
)


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


def organization_add_member(
    *, organization: Organization, username: str, role: str = MembershipRole.MEMBER, by: User
) -> Membership:
    """Add (or change the role of) a member; only owners and operators may."""
    require_owner_or_operator(by, organization)
    if role not in MembershipRole.values:
        raise ValidationFailed(_("Role must be 'owner' or 'member'."))
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(
            _("No user '%(u)s': they must sign up first.") % {"u": username}
        )
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            organization=organization, user=user, defaults={"role": role}
        )
        before = {} if created else {"role": membership.role}
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        audit_record(action="organization.add_member", target=organization, by=by,
                     organization_id=organization.pk, before=before,
                     after={"user": username, "role": role})
    return membership
