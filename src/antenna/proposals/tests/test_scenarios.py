"""The access workflow end to end through the public API, as new users would drive it."""

from __future__ import annotations

import time

import pytest

from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.core import testing

pytestmark = pytest.mark.django_db


def _register(api, user, **overrides):
    body = {"legal_name": "Deep Startup", "kind": "startup", "country": "BE",
            "region": "flanders", "enterprise_number": testing.enterprise_number(1_234_567)}
    body.update(overrides)
    return api(user).post("/organizations", body)


def test_belgian_startup_gets_playground_allocation_within_seconds(api, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    founder = testing.make_user("founder")
    client = api(founder)
    bad = _register(api, founder, enterprise_number="0123.456.789")
    assert bad.status_code == 400
    assert "enterprise number" in bad.json()["detail"]
    started = time.monotonic()
    org = _register(api, founder)
    assert org.status_code == 201, org.content
    created = client.post("/proposals", {
        "call": call.pk, "organization": org.json()["id"], "title": "First steps",
        "abstract": "Fine-tune a small model.", "requested_gpu_hours": 1000,
        "duration_months": 2, "civilian_use": True,
    })
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "draft"
    submitted = client.post(f"/proposals/{created.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["state"] == "accepted"
    allocation = client.get(f"/allocations/{body['allocation']}").json()
    assert allocation["state"] == "active"
    assert float(allocation["gpu_hours_granted"]) == 1000
    assert time.monotonic() - started < 5
    assert ledger_balances(Allocation.objects.get(pk=body["allocation"]))
