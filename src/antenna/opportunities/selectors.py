"""Reading the catalogue: the open opportunities that match an organisation, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from antenna.opportunities.matching import Criteria, Profile, match_reason
from antenna.opportunities.models import Opportunity
from antenna.organizations.models import Organization


@dataclass(frozen=True)
class Match:
    opportunity: Opportunity
    reason: str


def opportunities_for(organization: Organization) -> list[Match]:
    """Opportunities whose deadline is not past and whose criteria the organisation meets."""
    profile = Profile(kind=organization.kind, sector=organization.sector,
                      region=organization.region, country=organization.country)
    matches = []
    for o in Opportunity.objects.filter(deadline__gte=timezone.localdate()):
        reason = match_reason(Criteria(o.eligible_kinds, o.sectors, o.regions, o.countries),
                              profile)
        if reason is not None:
            matches.append(Match(o, reason))
    return matches
