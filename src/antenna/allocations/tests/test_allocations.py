"""Allocations: database invariants, the ledger, final reports, visibility."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.allocations.selectors import ledger_balances
from antenna.allocations.services import allocations_expire_due
from antenna.core.models import AuditEvent
from antenna.testing import assert_error

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.mark.parametrize("changes", [
    {"reserved_gpu_seconds": F("granted_gpu_seconds") + 1},
    {"used_gpu_seconds": F("granted_gpu_seconds") + 1},
    {"reserved_gpu_seconds": F("granted_gpu_seconds"), "used_gpu_seconds": 1},
    {"reserved_gpu_seconds": -1},
    {"used_gpu_seconds": -1},
    {"granted_gpu_seconds": -1},
    {"ends_on": dt.date(2000, 1, 1)},
], ids=["reserved>granted", "used>granted", "reserved+used>granted", "negative reserved",
        "negative used", "negative granted", "ends before start"])
def test_database_refuses_broken_budgets(world, changes):
    before = Allocation.objects.filter(pk=world.allocation.pk).values().get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(pk=world.allocation.pk).update(**changes)
    assert Allocation.objects.filter(pk=world.allocation.pk).values().get() == before


def test_database_accepts_a_fully_spent_budget(world):
    granted = world.allocation.granted_gpu_seconds
    Allocation.objects.filter(pk=world.allocation.pk).update(reserved_gpu_seconds=granted - 10,
                                                             used_gpu_seconds=10)
    world.allocation.refresh_from_db()
    assert world.allocation.remaining_gpu_seconds == 0


def test_ledger_balances_with_the_grant_and_notices_a_drift(world):
    allocation = world.allocation
    entries = list(LedgerEntry.objects.filter(allocation=allocation))
    assert [(e.kind, e.granted_delta, e.reserved_delta) for e in entries] == [
        (LedgerKind.GRANT, allocation.granted_gpu_seconds, 0),
        (LedgerKind.RESERVE, 0, world.job.gpu_seconds_reserved)]  # the world's queued job
    assert allocation.reserved_gpu_seconds == world.job.gpu_seconds_reserved > 0
    assert ledger_balances(allocation)
    LedgerEntry.objects.create(allocation=allocation, kind=LedgerKind.RESERVE,
                               reserved_delta=HOUR)
    assert not ledger_balances(allocation)
    Allocation.objects.filter(pk=allocation.pk).update(
        reserved_gpu_seconds=F("reserved_gpu_seconds") + HOUR)
    allocation.refresh_from_db()
    assert ledger_balances(allocation)


def test_allocation_api_shows_hours(world, api):
    Allocation.objects.filter(pk=world.allocation.pk).update(reserved_gpu_seconds=HOUR // 2,
                                                             used_gpu_seconds=2 * HOUR)
    body = api(world.member).get(f"/allocations/{world.allocation.pk}").json()
    granted = world.allocation.granted_gpu_seconds / HOUR
    assert float(body["gpu_hours_granted"]) == granted
    assert float(body["gpu_hours_reserved"]) == 0.5
    assert float(body["gpu_hours_used"]) == 2
    assert float(body["gpu_hours_remaining"]) == granted - 2.5
    assert (body["proposal"], body["organization"]) == (world.accepted.pk, world.org.pk)


def test_final_report_is_recorded_and_audited(world, api):
    url = f"/allocations/{world.allocation.pk}/final-report"
    assert_error(api(world.owner).post(url, {"report": "Done."}), 422, "report")
    assert_error(api(world.owner).post(url, {}), 422, "report")
    body = api(world.member).post(url, {"report": "  We trained and evaluated three models. "})
    assert body.status_code == 200
    assert body.json()["final_report_submitted_at"] is not None
    world.allocation.refresh_from_db()
    assert world.allocation.final_report == "We trained and evaluated three models."
    event = AuditEvent.objects.get(action="allocation.final_report")
    assert (event.actor, event.organization_id) == (world.member, world.org.pk)


def test_allocation_lists_are_filtered(world, api):
    assert [a["id"] for a in api(world.owner).get("/allocations").json()["items"]] == [
        world.allocation.pk]
    assert api(world.outsider).get("/allocations").json() == {"items": [], "count": 0}
    assert api(world.observer).get("/allocations").json()["count"] == 1
    assert api(world.owner).get("/allocations?state=closed").json()["count"] == 0


def test_expiry_moves_past_allocations(world):
    assert allocations_expire_due(today=world.allocation.ends_on) == 0
    assert allocations_expire_due(today=world.allocation.ends_on + dt.timedelta(days=1)) == 1
    world.allocation.refresh_from_db()
    assert world.allocation.state == "expired"
    event = AuditEvent.objects.get(action="allocation.expire")
    assert event.actor is None
