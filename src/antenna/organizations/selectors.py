"""Reads on organisations."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from antenna.accounts.models import User
from antenna.organizations.models import Membership, Organization


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
