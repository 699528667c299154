"""Does an opportunity fit an organisation, and why: a pure function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What matching knows of an organisation."""

    kind: str
    sector: str
    region: str
    country: str


@dataclass(frozen=True)
class Criteria:
    """Who may apply; an empty list means any."""

    eligible_kinds: Sequence[str]
    sectors: Sequence[str]
    regions: Sequence[str]
    countries: Sequence[str]


def matched_criteria(criteria: Criteria, profile: Profile) -> list[str] | None:
    """None when the organisation is not eligible; else the criteria it meets ("kind",
    "sector", "region", "country"; empty when the opportunity is open to all)."""
    met: list[str] = []
    for name, allowed, value in (("kind", criteria.eligible_kinds, profile.kind),
                                 ("sector", criteria.sectors, profile.sector),
                                 ("region", criteria.regions, profile.region),
                                 ("country", criteria.countries, profile.country)):
        if not allowed:
            continue
        if value not in allowed:
            return None
        met.append(name)
    return met


def match_reason(criteria: Criteria, profile: Profile) -> str | None:
    """None when the organisation is not eligible; else the reason it fits, e.g.
    "kind: sme; region: wallonia" (or "open to all")."""
    met = matched_criteria(criteria, profile)
    if met is None:
        return None
    values = {"kind": profile.kind, "sector": profile.sector, "region": profile.region,
              "country": profile.country}
    return "; ".join(f"{name}: {values[name]}" for name in met) or "open to all"
