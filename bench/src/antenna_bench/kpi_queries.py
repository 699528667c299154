"""The operators' reporting reads that the scale benchmark times (`page_timer`): GPU-hours per
factory, proposals per mode and state, organisations per kind and region. Each is a few
grouped queries; tests check them on a hand-counted dataset (bench/tests/test_load_scale.py).
They live in the benchmark, not in the product: no page uses them yet."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from antenna.allocations.models import SECONDS_PER_HOUR, Allocation
from antenna.organizations.models import Organization
from antenna.proposals.models import Proposal
from antenna.proposals.states import COUNTS_FOR_CALL


@dataclass(frozen=True)
class FactoryHours:
    factory: str  # a factory's short name, "pooled" (allocations) or "any" (proposals)
    requested: Decimal
    awarded: Decimal
    used: Decimal


def kpi_gpu_hours_by_factory() -> list[FactoryHours]:
    """GPU-hours requested (proposals past draft, by preferred factory), awarded (granted on
    allocations) and used (charged to allocations), per factory. Three grouped queries."""
    requested: dict[str | None, int] = dict(
        Proposal.objects.filter(state__in=[s.value for s in COUNTS_FOR_CALL])
        .values_list("factory__name").annotate(h=Sum("requested_gpu_hours"))
        .values_list("factory__name", "h"))
    per_alloc: dict[str | None, tuple[int, int]] = {
        row[0]: (row[1], row[2]) for row in
        Allocation.objects.values_list("factory__name")
        .annotate(g=Sum("granted_gpu_seconds"), u=Sum("used_gpu_seconds"))
        .values_list("factory__name", "g", "u")
    }
    names = sorted({*(k for k in requested if k), *(k for k in per_alloc if k)})
    rows = []
    for name in [*names, None]:
        g, u = per_alloc.get(name, (0, 0))
        req = requested.get(name) or 0
        if name is None and not (g or u or req):
            continue
        rows.append(FactoryHours(
            factory=name or "pooled/any", requested=Decimal(req),
            awarded=(Decimal(g or 0) / SECONDS_PER_HOUR).quantize(Decimal("0.0001")),
            used=(Decimal(u or 0) / SECONDS_PER_HOUR).quantize(Decimal("0.0001"))))
    return rows


def kpi_proposals_by_mode_and_state() -> dict[tuple[str, str], int]:
    """How many proposals per access mode and state (one grouped query)."""
    return {(mode, state): n for mode, state, n in
            Proposal.objects.values_list("call__mode", "state").annotate(n=Count("id"))
            .values_list("call__mode", "state", "n").order_by()}


def kpi_organizations_by_kind_and_region() -> dict[tuple[str, str], int]:
    """How many organisations per kind and region (one grouped query)."""
    return {(kind, region): n for kind, region, n in
            Organization.objects.values_list("kind", "region").annotate(n=Count("id"))
            .values_list("kind", "region", "n").order_by()}
