"""The expertise desk through the API: file, route, answer, resolve, rate; tenant rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna.expertise.models import ExpertiseRequest
from antenna.expertise.selectors import expert_queue, overdue_requests
from antenna.expertise.targets import is_belgian_working_day
from antenna.notifications.models import Notice
from antenna.testing import (
    ApiClient,
    assert_error,
    make_expert,
    make_operator,
    make_org,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    owner, outsider = make_user(), make_user()
    org = make_org(owner, kind="sme", region="wallonia")
    other = make_org(outsider)
    scaler = make_expert(skills=["scaling"])
    porter = make_expert(skills=["porting", "scaling"], languages=["en", "fr"])
    return {"owner": owner, "outsider": outsider, "org": org, "other": other,
            "scaler": scaler, "porter": porter, "operator": make_operator()}


def _file(client, org, topic="porting", language="fr"):
    response = client.post("/expertise-requests", {
        "organization": org.pk, "topic": topic, "title": "CUDA vers ROCm",
        "description": "Nos noyaux CUDA doivent tourner sur LUMI.", "language": language})
    assert response.status_code == 201, response.content
    return response.json()


def test_porting_request_is_routed_to_an_expert_with_that_skill(desk):
    body = _file(ApiClient(desk["owner"]), desk["org"])
    assert body["state"] == "assigned"
    assert body["expert"] == desk["porter"].username
    assert body["resolved_at"] is None
    notice = Notice.objects.get(user=desk["porter"])
    assert notice.kind == "expert_assigned" and str(body["id"]) in notice.subject


def test_first_response_due_is_two_belgian_working_days_later(desk):
    body = _file(ApiClient(desk["owner"]), desk["org"])
    created = dt.datetime.fromisoformat(body["created_at"])
    due = dt.datetime.fromisoformat(body["first_response_due"])
    local_created = timezone.localtime(created).date()
    local_due = timezone.localtime(due).date()
    days = [local_created + dt.timedelta(days=n)
            for n in range(1, (local_due - local_created).days + 1)]
    assert sum(is_belgian_working_day(d) for d in days) == 2
    assert is_belgian_working_day(local_due)


def test_expert_answers_resolves_and_requester_rates(desk):
    owner, porter = ApiClient(desk["owner"]), ApiClient(desk["porter"])
    pk = _file(owner, desk["org"])["id"]
    assert porter.get(f"/expertise-requests/{pk}").status_code == 200
    answer = porter.post(f"/expertise-requests/{pk}/messages", {"body": "Utilisez HIPIFY."})
    assert answer.status_code == 201
    detail = owner.get(f"/expertise-requests/{pk}").json()
    assert detail["state"] == "in_progress"
    assert detail["first_response_at"] is not None
    assert [m["author"] for m in detail["messages"]] == [desk["porter"].username]
    assert Notice.objects.filter(user=desk["owner"], kind="expertise_message").exists()
    resolved = porter.post(f"/expertise-requests/{pk}/resolve").json()
    assert resolved["state"] == "resolved" and resolved["resolved_at"] is not None
    rated = owner.post(f"/expertise-requests/{pk}/rating", {"satisfaction": 4}).json()
    assert rated["state"] == "closed" and rated["satisfaction"] == 4
    assert_error(owner.post(f"/expertise-requests/{pk}/messages", {"body": "Encore"}), 409)


def test_other_organisation_and_unassigned_expert_get_404(desk):
    pk = _file(ApiClient(desk["owner"]), desk["org"])["id"]
    for user in (desk["outsider"], desk["scaler"]):
        client = ApiClient(user)
        assert_error(client.get(f"/expertise-requests/{pk}"), 404)
        assert_error(client.post(f"/expertise-requests/{pk}/messages", {"body": "x"}), 404)
        assert client.get("/expertise-requests").json()["count"] == 0


def test_operator_reassigns_and_the_new_expert_sees_it(desk):
    pk = _file(ApiClient(desk["owner"]), desk["org"])["id"]
    operator = ApiClient(desk["operator"])
    body = operator.post(f"/expertise-requests/{pk}/assign",
                         {"username": desk["scaler"].username}).json()
    assert body["expert"] == desk["scaler"].username
    assert ApiClient(desk["scaler"]).get(f"/expertise-requests/{pk}").status_code == 200
    assert_error(ApiClient(desk["porter"]).get(f"/expertise-requests/{pk}"), 404)
    assert_error(operator.post(f"/expertise-requests/{pk}/assign",
                               {"username": desk["owner"].username}), 409, "expert")
    experts = operator.get("/experts").json()
    assert {e["username"]: e["load"] for e in experts} == {
        desk["scaler"].username: 1, desk["porter"].username: 0}


def test_no_expert_with_the_skill_leaves_the_request_new(desk):
    body = _file(ApiClient(desk["owner"]), desk["org"], topic="ai_act", language="en")
    assert body["state"] == "new" and body["expert"] is None
    assert_error(ApiClient(desk["operator"]).post(f"/expertise-requests/{body['id']}/resolve"),
                 409, "assign")


def test_overdue_requests_on_the_console_and_the_queue(desk):
    pk = _file(ApiClient(desk["owner"]), desk["org"])["id"]
    assert list(overdue_requests()) == []
    ExpertiseRequest.objects.filter(pk=pk).update(
        first_response_due=timezone.now() - dt.timedelta(hours=1))
    assert [r.pk for r in overdue_requests()] == [pk]
    assert [r.pk for r in expert_queue(desk["porter"])] == [pk]
    assert ApiClient(desk["owner"]).get(f"/expertise-requests/{pk}").json()["overdue"] is True
