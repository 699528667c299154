"""The access workflow end to end through the public API, as new users would drive it."""

from __future__ import annotations

import re
import time

import pytest

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.calls.models import Call

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


def _apply(client, call, org_id, **overrides):
    body = {"call": call.pk, "organization": org_id, "title": "Our project",
            "abstract": "What we will do.", "requested_gpu_hours": 1000, "duration_months": 2,
            "civilian_use": True}
    body.update(overrides)
    created = client.post("/proposals", body)
    assert created.status_code == 201, created.content
    return created.json()["id"]


def test_fast_lane_proposal_decided_by_an_operator(api, operator, factory):
    call_id = api(operator).post("/calls", {"title": "Fast Lane 2026", "mode": "fast_lane",
                                            "factories": [factory.pk],
                                            "max_gpu_hours": 50_000}).json()["id"]
    founder = testing.make_user("sme-founder")
    client = api(founder)
    org = _register(api, founder, kind="sme", region="wallonia").json()
    assert [c["id"] for c in client.get("/calls?mode=fast_lane").json()["items"]] == [call_id]
    pid = _apply(client, Call.objects.get(pk=call_id), org["id"], requested_gpu_hours=30_000,
                 duration_months=3, factory=factory.pk)
    assert client.patch(f"/proposals/{pid}", {"gpus_per_job": 8}).json()["gpus_per_job"] == 8
    submitted = client.post(f"/proposals/{pid}/submit").json()
    assert submitted["state"] == "technical_review"
    assert submitted["decision_due_at"] is not None
    ops = api(operator)
    assert ops.post(f"/proposals/{pid}/technical-assessment",
                    {"feasible": True, "comment": "Fits on the booster."}).status_code == 201
    too_much = ops.post(f"/proposals/{pid}/decision", {"decision": "accept",
                                                       "gpu_hours": 30_001})
    assert too_much.status_code == 409
    decided = ops.post(f"/proposals/{pid}/decision", {"decision": "accept",
                                                      "gpu_hours": 25_000, "comment": "Go."})
    assert decided.json()["state"] == "accepted"
    mine = client.get("/allocations").json()["items"]
    assert [(a["id"], a["factory"], float(a["gpu_hours_granted"])) for a in mine] == [
        (decided.json()["allocation"], factory.pk, 25_000)]
    assert client.get(f"/proposals/{pid}").json()["allocation"] == mine[0]["id"]


def test_large_scale_proposal_through_two_peer_reviews(api, operator, factory):
    call = testing.make_call("large_scale", factories=[factory], by=operator)
    founder = testing.make_user("ls-founder")
    client = api(founder)
    org = _register(api, founder, kind="large_enterprise").json()
    colleague = testing.make_user("colleague", role="reviewer")
    assert client.post(f"/organizations/{org['id']}/members",
                       {"username": "colleague"}).status_code == 201
    [invitation] = api(colleague).get("/invitations").json()["items"]
    assert api(colleague).post(f"/invitations/{invitation['id']}/accept").status_code == 200
    ana, ben = testing.make_reviewer("ana"), testing.make_reviewer("ben")
    pid = _apply(client, call, org["id"], requested_gpu_hours=200_000, duration_months=6)
    assert client.post(f"/proposals/{pid}/submit").json()["state"] == "technical_review"
    ops = api(operator)
    conflicted = ops.post(f"/proposals/{pid}/reviewers", {"username": "colleague"})
    assert conflicted.status_code == 409
    assert "Conflict of interest" in conflicted.json()["detail"]
    assigned = ops.post(f"/proposals/{pid}/reviewers/auto")
    assert assigned.status_code == 201
    assert sorted(a["reviewer"] for a in assigned.json()) == ["ana", "ben"]
    assert client.get(f"/proposals/{pid}").json()["state"] == "peer_review"
    early = ops.post(f"/proposals/{pid}/decision", {"decision": "accept"})
    assert early.status_code == 409
    assert api(colleague).post(f"/proposals/{pid}/reviews",
                               {"score": 5, "recommendation": "accept"}).status_code == 403
    for reviewer, score in ((ana, 4), (ben, 5)):
        review = api(reviewer).post(f"/proposals/{pid}/reviews", {
            "scores": {"excellence": score, "impact": score, "implementation": score},
            "recommendation": "accept", "comment": "Convincing plan."})
        assert review.status_code == 201, review.content
    assert len(ops.get(f"/proposals/{pid}/reviews").json()["items"]) == 2
    decided = ops.post(f"/proposals/{pid}/decision", {"decision": "accept",
                                                      "gpu_hours": 150_000, "pooled": True})
    assert decided.status_code == 200, decided.content
    allocation = client.get(f"/allocations/{decided.json()['allocation']}").json()
    assert (allocation["pooled"], float(allocation["gpu_hours_granted"])) == (True, 150_000)
    assert colleague.pk != ana.pk


def test_organisation_outside_the_eu_is_refused_with_the_rule_named(api, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    founder = testing.make_user("us-founder")
    client = api(founder)
    org = client.post("/organizations", {"legal_name": "Valley AI Inc.", "kind": "startup",
                                         "country": "US"})
    assert org.status_code == 201, org.content
    assert (org.json()["region"], org.json()["enterprise_number"]) == ("outside_belgium", "")
    pid = _apply(client, call, org.json()["id"])
    refused = client.post(f"/proposals/{pid}/submit")
    assert refused.status_code == 409
    assert refused.json()["rule"] == "organization_country"
    assert "organization_country" in refused.json()["detail"]
    assert "US" in refused.json()["detail"]
    assert client.get(f"/proposals/{pid}").json()["state"] == "draft"
    assert client.get("/allocations").json()["count"] == 0


def test_nobody_sees_another_organisations_proposals_or_allocations(api, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    alice, bob = testing.make_user("alice"), testing.make_user("bob")
    a_org = _register(api, alice).json()
    b_org = _register(api, bob, enterprise_number=testing.enterprise_number(2_345_678)).json()
    a_pid = _apply(api(alice), call, a_org["id"])
    b_pid = _apply(api(bob), call, b_org["id"])
    a_alloc = api(alice).post(f"/proposals/{a_pid}/submit").json()["allocation"]
    b_alloc = api(bob).post(f"/proposals/{b_pid}/submit").json()["allocation"]
    bob_client = api(bob)
    assert [p["id"] for p in bob_client.get("/proposals").json()["items"]] == [b_pid]
    assert [a["id"] for a in bob_client.get("/allocations").json()["items"]] == [b_alloc]
    assert [o["id"] for o in bob_client.get("/organizations").json()["items"]] == [b_org["id"]]
    assert bob_client.get(f"/proposals?organization={a_org['id']}").json()["count"] == 0
    for path in (f"/proposals/{a_pid}", f"/allocations/{a_alloc}",
                 f"/organizations/{a_org['id']}", f"/organizations/{a_org['id']}/members"):
        response = bob_client.get(path)
        missing = bob_client.get(re.sub(r"/\d+", "/987654", path, count=1))
        assert response.status_code == missing.status_code == 404, path
        assert testing.error_shape(response.json()) == testing.error_shape(missing.json())
    assert bob_client.post(f"/proposals/{a_pid}/withdraw").status_code == 404
    everyone = api(testing.make_observer()).get("/proposals").json()
    assert {p["id"] for p in everyone["items"]} == {a_pid, b_pid}
