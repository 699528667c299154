"""The filters every report takes: period, organisation kind, region, sector, factory, mode.

Pages and the API parse them from the query string with `report_filter_from`; a bad value is a
`ValidationFailed` that says which parameter to fix (never a 500).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _

from antenna.calls.modes import AccessMode
from antenna.core.errors import ValidationFailed
from antenna.organizations.models import OrganizationKind, Region, Sector
from antenna.organizations.selectors import organizations_of_user

if TYPE_CHECKING:
    from antenna.accounts.models import User

GROUPS = ("kind", "region", "sector", "factory", "mode", "month")


@dataclass(frozen=True)
class ReportFilter:
    """Which records a report counts. Empty fields do not filter."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str = ""
    region: str = ""
    sector: str = ""
    factory: int | None = None
    mode: str = ""
    # None: every organisation (operators, observers, the public aggregates); otherwise only
    # these organisations' records (an applicant's own organisations; may be empty).
    organizations: frozenset[int] | None = None

    def organization_q(self, prefix: str) -> Q:
        """The organisation filters on a relation path (`organization__`, ...; "" on
        Organization itself), including the reader's scope."""
        q = Q()
        if self.organizations is not None:
            q &= Q(**{f"{prefix}id__in": sorted(self.organizations)})
        if self.kind:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.region:
            q &= Q(**{f"{prefix}region": self.region})
        if self.sector:
            q &= Q(**{f"{prefix}sector": self.sector})
        return q

    def period_q(self, field: str) -> Q:
        """`field` (a date, or a datetime compared by its local day) within the period."""
        q = Q()
        if self.date_from:
            q &= Q(**{f"{field}__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{field}__lte": self.date_to})
        return q

    def query_string(self) -> str:
        """The filter as URL parameters (for export links)."""
        from urllib.parse import urlencode

        params = {"from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "",
                  "kind": self.kind, "region": self.region, "sector": self.sector,
                  "factory": str(self.factory or ""), "mode": self.mode}
        return urlencode({k: v for k, v in params.items() if v})


def _date(params: Mapping[str, Any], name: str) -> dt.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("'%(name)s' must be a date written YYYY-MM-DD, for example 2026-01-31.")
            % {"name": name}, field=name) from None


def _choice(params: Mapping[str, Any], name: str, allowed: list[str]) -> str:
    raw = (params.get(name) or "").strip()
    if raw and raw not in allowed:
        raise ValidationFailed(
            _("'%(name)s' must be one of: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(allowed)}, field=name)
    return raw


def scope_of(user: User) -> frozenset[int] | None:
    """Whose figures `user` may read: None (everyone's) for operators and observers, else the
    organisations they are a member of (one query)."""
    if user.sees_everything:
        return None
    return frozenset(organizations_of_user(user).values_list("pk", flat=True))


def report_filter_from(params: Mapping[str, Any],
                       organizations: frozenset[int] | None = None) -> ReportFilter:
    """Parse `from`, `to`, `kind`, `region`, `sector`, `factory` (an id) and `mode`; the
    result is limited to `organizations` (see `scope_of`) unless None."""
    date_from, date_to = _date(params, "from"), _date(params, "to")
    if date_from and date_to and date_to < date_from:
        raise ValidationFailed(_("'to' must not be before 'from'."), field="to")
    raw_factory = (params.get("factory") or "").strip()
    if raw_factory and not raw_factory.isdigit():
        raise ValidationFailed(_("'factory' must be a factory id (a whole number)."),
                               field="factory")
    return ReportFilter(
        date_from=date_from, date_to=date_to,
        kind=_choice(params, "kind", list(OrganizationKind.values)),
        region=_choice(params, "region", list(Region.values)),
        sector=_choice(params, "sector", list(Sector.values)),
        factory=int(raw_factory) if raw_factory else None,
        mode=_choice(params, "mode", list(AccessMode.values)),
        organizations=organizations,
    )


def group_from(params: Mapping[str, Any], default: str = "mode") -> str:
    """The `group_by` parameter: one of GROUPS."""
    return _choice(params, "group_by", list(GROUPS)) or default
