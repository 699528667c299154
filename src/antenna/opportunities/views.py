"""Opportunity pages: each of the user's organisations with the open opportunities that match
it, and why (tenant rules: another organisation's page is a 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from antenna.accounts.access import current_user
from antenna.core.pages import visible_or_404
from antenna.opportunities.selectors import Match, opportunities_for
from antenna.organizations.access import organization_for_user
from antenna.organizations.models import Organization
from antenna.organizations.selectors import organizations_of_user


@dataclass(frozen=True)
class Shown:
    """A match as the page words it: the reason in the reader's language."""

    match: Match
    reason: str


def _worded(organization: Organization, match: Match) -> Shown:
    labels = {"kind": (_("organisation kind"), organization.get_kind_display()),
              "sector": (_("sector"), organization.get_sector_display()),
              "region": (_("region"), organization.get_region_display()),
              "country": (_("country"), organization.country)}
    if not match.criteria:
        return Shown(match, _("open to every organisation"))
    return Shown(match, "; ".join(f"{labels[c][0]}: {labels[c][1]}" for c in match.criteria))


def _section(organization: Organization) -> dict[str, object]:
    return {"organization": organization,
            "matches": [_worded(organization, m) for m in opportunities_for(organization)]}


@login_required
def opportunity_index(request: HttpRequest) -> HttpResponse:
    """The opportunities of every organisation the user is a member of."""
    organizations = organizations_of_user(current_user(request))
    return render(request, "opportunities/list.html",
                  {"sections": [_section(o) for o in organizations]})


@login_required
def opportunity_for_organization(request: HttpRequest, pk: int) -> HttpResponse:
    organization = visible_or_404(organization_for_user, current_user(request), pk)
    return render(request, "opportunities/list.html",
                  {"sections": [_section(organization)], "single": True})
