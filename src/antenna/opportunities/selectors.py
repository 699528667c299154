"""Reading the catalogue: the open opportunities that match an organisation, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from antenna.opportunities.matching import Criteria, Profile, match_reason, matched_criteria
from antenna.opportunities.models import Opportunity
from antenna.organizations.models import Organization


@dataclass(frozen=True)
class Match:
    """An opportunity the organisation may apply to; `reason` is the API's ("kind: sme"),
    `criteria` the names of the criteria met (empty: open to all), for the pages to word."""

    opportunity: Opportunity
    reason: str
    criteria: tuple[str, ...] = ()


def opportunities_for(organization: Organization) -> list[Match]:
    """Opportunities whose deadline is not past and whose criteria the organisation meets."""
    profile = Profile(kind=organization.kind, sector=organization.sector,
                      region=organization.region, country=organization.country)
    matches = []
    for o in Opportunity.objects.filter(deadline__gte=timezone.localdate()):
        criteria = Criteria(o.eligible_kinds, o.sectors, o.regions, o.countries)
        reason = match_reason(criteria, profile)
        if reason is not None:
            matches.append(Match(o, reason, tuple(matched_criteria(criteria, profile) or ())))
    return matches
