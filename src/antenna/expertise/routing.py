"""Which expert should take a request: a pure function of the candidates and the request.

Rules, in order: the expert has the topic among their skills and room below their capacity;
then a shared language beats none, serving the organisation's region beats not, and the
lightest relative load wins; the username breaks ties so the answer is stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class ExpertCandidate:
    """An expert as routing sees them: skills, languages, regions (empty: all), capacity and
    the number of open requests they hold now."""

    username: str
    skills: frozenset[str]
    languages: frozenset[str]
    regions: frozenset[str]
    capacity: int
    load: int

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


def suggest_expert(candidates: Iterable[ExpertCandidate], *, topic: str, language: str,
                   region: str) -> ExpertCandidate | None:
    """The best expert for a request on `topic` in `language` from `region`, or None when
    no expert with that skill has room."""
    able = [c for c in candidates if topic in c.skills and c.has_room]
    if not able:
        return None

    def rank(c: ExpertCandidate) -> tuple[int, int, Fraction, str]:
        speaks = 0 if language in c.languages else 1
        serves = 0 if not c.regions or region in c.regions else 1
        return speaks, serves, Fraction(c.load, max(c.capacity, 1)), c.username

    return min(able, key=rank)
