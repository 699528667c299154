"""The KPI part of the observers' overview (portal/overview.html includes reports/_kpis.html):
the filter form's choices, the tables and their charts' numbers, from the query string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from antenna.calls.modes import AccessMode
from antenna.factories.models import Factory
from antenna.organizations.models import OrganizationKind, Region, Sector
from antenna.reports.filters import GROUPS, group_from, report_filter_from
from antenna.reports.selectors import allocation_health, hours_by, served, time_to_access


def group_labels() -> dict[str, str]:
    return {"kind": _("Organisation kind"), "region": _("Region"), "sector": _("Sector"),
            "factory": _("Factory"), "mode": _("Access mode"), "month": _("Month")}


def overview_kpis(params: Mapping[str, Any],
                  organizations: frozenset[int] | None = None) -> dict[str, Any]:
    """Everything the KPI section shows, of `organizations` only unless None (see
    `filters.scope_of`). Raises ValidationFailed on a bad parameter."""
    f = report_filter_from(params, organizations)
    group = group_from(params)
    rows = hours_by(group, f)
    access = time_to_access(f)
    labels = group_labels()
    choices = {
        "kind": [(k.value, str(k.label)) for k in OrganizationKind],
        "region": [(r.value, str(r.label)) for r in Region],
        "sector": [(s.value, str(s.label)) for s in Sector],
        "factory": [(str(pk), name) for pk, name in
                    Factory.objects.order_by("display_name").values_list("pk", "display_name")],
        "mode": [(m.value, str(m.label)) for m in AccessMode],
    }
    selected = {"kind": f.kind, "region": f.region, "sector": f.sector, "mode": f.mode,
                "factory": str(f.factory or ""),
                "from": f.date_from.isoformat() if f.date_from else "",
                "to": f.date_to.isoformat() if f.date_to else ""}
    return {
        "filter": f,
        "scoped": organizations is not None,
        "query": f.query_string(),
        "selected": selected,
        "filter_fields": [(name, labels[name], choices[name], selected[name])
                          for name in ("kind", "region", "sector", "factory", "mode")],
        "group": group,
        "group_label": labels[group],
        "groups": [(g, labels[g]) for g in GROUPS],
        "hours": rows,
        "hours_chart": {"labels": [r.label for r in rows],
                        "requested": [float(r.requested) for r in rows],
                        "awarded": [float(r.awarded) for r in rows],
                        "used": [float(r.used) for r in rows]},
        "access": access,
        "access_chart": {"labels": [r.label for r in access],
                         "median": [r.median for r in access],
                         "p90": [r.p90 for r in access],
                         "target": [r.target for r in access]},
        "served": served(f),
        "allocations": allocation_health(f),
    }
