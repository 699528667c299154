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


def match_reason(criteria: Criteria, profile: Profile) -> str | None:
    """None when the organisation is not eligible; else the reason it fits, e.g.
    "kind: sme; region: wallonia" (or "open to all")."""
    reasons: list[str] = []
    for name, allowed, value in (("kind", criteria.eligible_kinds, profile.kind),
                                 ("sector", criteria.sectors, profile.sector),
                                 ("region", criteria.regions, profile.region),
                                 ("country", criteria.countries, profile.country)):
        if not allowed:
            continue
        if value not in allowed:
            return None
        reasons.append(f"{name}: {value}")
    return "; ".join(reasons) or "open to all"
