"""The access contract of every API endpoint, driven by one table.

For each endpoint: anonymous -> 401, each wrong role -> 403, a user of another organisation ->
404 exactly like a missing id, and the right role gets through. Adding an endpoint means adding
a row; `test_every_route_is_in_the_table` fails until you do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from antenna.allocations.services import allocation_suspend
from antenna.config.api import api as ninja_api
from antenna.expertise.services import expertise_request_resolve
from antenna.testing import ApiClient, World, assert_error, enterprise_number, error_shape
from antenna.training.services import registration_create

pytestmark = pytest.mark.django_db

MISSING_ID = 987654


@dataclass(frozen=True)
class Endpoint:
    """One API operation and who may call it.

    `path` names World ids in braces (`{draft}`, `{allocation}`); `scoped` names the ids
    that belong to an organisation (replaced by another organisation's user / a missing id);
    `body` builds the request body from the world; `ok` is the role that succeeds and its
    status; `wrong_roles` are roles that can see the object but must get 403.
    """

    method: str
    path: str
    ok: tuple[str, int]
    wrong_roles: tuple[str, ...] = ()
    body: Callable[[World, dict[str, int]], Any] | None = None
    scoped: tuple[str, ...] = ()
    upload: bool = False
    text: bool = False
    prepare: Callable[[World], Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, ids: dict[str, int]) -> str:
        return self.path.format(**ids)


def _new_org(w: World, ids: dict[str, int]) -> dict[str, Any]:
    return {"legal_name": "New Org", "kind": "sme", "country": "BE", "region": "wallonia",
            "enterprise_number": enterprise_number(7_654_321)}


def _new_call(w: World, ids: dict[str, int]) -> dict[str, Any]:
    return {"title": "Extra call", "mode": "fast_lane", "factories": [ids["factory"]],
            "max_gpu_hours": 10_000}


def _new_proposal(w: World, ids: dict[str, int]) -> dict[str, Any]:
    return {"call": ids["call_fast_lane"], "organization": ids["org"], "title": "Another",
            "abstract": "More work.", "requested_gpu_hours": 100, "duration_months": 1,
            "civilian_use": True}


def _body(value: Any) -> Callable[[World, dict[str, int]], Any]:
    return lambda w, ids: value



def _expert(w: Any) -> Any:
    assert w.expert is not None
    return w.expert


def _resolve_request(w: Any) -> None:
    assert w.expertise_request is not None
    expertise_request_resolve(request=w.expertise_request, by=_expert(w))


def _register_owner(w: Any) -> None:
    assert w.event is not None
    registration_create(event=w.event, by=w.owner)

ENDPOINTS: tuple[Endpoint, ...] = (
    # organisations
    Endpoint("get", "/organizations", ok=("owner", 200)),
    Endpoint("post", "/organizations", ok=("newcomer", 201), wrong_roles=("observer",),
             body=_new_org),
    Endpoint("get", "/organizations/{org}", ok=("member", 200), scoped=("org",)),
    Endpoint("get", "/organizations/{org}/members", ok=("member", 200), scoped=("org",)),
    Endpoint("post", "/organizations/{org}/members", ok=("owner", 201),
             wrong_roles=("member", "observer"), scoped=("org",),
             body=lambda w, ids: {"username": w.newcomer.username, "role": "member"}),
    Endpoint("patch", "/organizations/{org}/members/{member_username}", ok=("owner", 200),
             wrong_roles=("member", "observer"), scoped=("org",),
             body=_body({"role": "owner"})),
    Endpoint("post", "/organizations/{org}/members/{member_username}/remove", ok=("owner", 204),
             wrong_roles=("member", "observer"), scoped=("org",)),
    # invitations: only the invitee's own (anyone else's is the same 404 as a missing one)
    Endpoint("get", "/invitations", ok=("newcomer", 200)),
    Endpoint("post", "/invitations/{invitation}/accept", ok=("newcomer", 200),
             scoped=("invitation",)),
    Endpoint("post", "/invitations/{invitation}/decline", ok=("newcomer", 200),
             scoped=("invitation",)),
    # factories and calls (public reference data: no organisation scope)
    Endpoint("get", "/factories", ok=("owner", 200)),
    # site accounts: a person's own usernames at the factories; operators verify
    Endpoint("get", "/site-accounts", ok=("member", 200)),
    Endpoint("post", "/site-accounts", ok=("owner", 201), wrong_roles=("observer",),
             body=lambda w, ids: {"factory": ids["factory"], "username": "owner_at_site"}),
    Endpoint("post", "/site-accounts/{site_account}/verify", ok=("operator", 200),
             wrong_roles=("owner", "member", "observer")),
    Endpoint("get", "/calls", ok=("owner", 200)),
    Endpoint("get", "/calls/{call_fast_lane}", ok=("owner", 200)),
    Endpoint("post", "/calls", ok=("operator", 201),
             wrong_roles=("owner", "observer", "reviewer"), body=_new_call),
    # proposals
    Endpoint("get", "/proposals", ok=("owner", 200)),
    Endpoint("post", "/proposals", ok=("member", 201), wrong_roles=("observer",),
             scoped=("org",), body=_new_proposal),
    Endpoint("get", "/proposals/{draft}", ok=("member", 200), scoped=("draft",)),
    Endpoint("patch", "/proposals/{draft}", ok=("member", 200), wrong_roles=("observer",),
             scoped=("draft",), body=_body({"title": "Renamed"})),
    Endpoint("post", "/proposals/{draft}/attachment", ok=("owner", 200),
             wrong_roles=("observer",), scoped=("draft",), upload=True),
    Endpoint("post", "/proposals/{draft}/submit", ok=("owner", 200),
             wrong_roles=("observer",), scoped=("draft",)),
    Endpoint("post", "/proposals/{draft}/withdraw", ok=("member", 200),
             wrong_roles=("observer",), scoped=("draft",), body=_body({"reason": "Later."})),
    Endpoint("post", "/proposals/{under_review}/technical-assessment", ok=("operator", 201),
             wrong_roles=("owner", "observer"), scoped=("under_review",),
             body=_body({"feasible": True, "comment": "Runs fine."})),
    Endpoint("get", "/proposals/{in_peer_review}/reviewers", ok=("operator", 200),
             scoped=("in_peer_review",)),
    Endpoint("post", "/proposals/{in_peer_review}/reviewers", ok=("operator", 201),
             wrong_roles=("owner", "observer", "reviewer"), scoped=("in_peer_review",),
             body=lambda w, ids: {"username": w.reviewer2.username}),
    Endpoint("post", "/proposals/{in_peer_review}/reviewers/auto", ok=("operator", 201),
             wrong_roles=("owner", "observer", "reviewer"), scoped=("in_peer_review",),
             body=_body({"count": 2})),
    Endpoint("get", "/proposals/{in_peer_review}/reviews", ok=("reviewer", 200),
             scoped=("in_peer_review",)),
    Endpoint("post", "/proposals/{in_peer_review}/reviews", ok=("reviewer", 201),
             wrong_roles=("owner", "operator", "observer"), scoped=("in_peer_review",),
             body=_body({"score": 4, "recommendation": "accept", "comment": "Solid."})),
    Endpoint("post", "/proposals/{under_review}/decision", ok=("operator", 200),
             wrong_roles=("owner", "member", "observer"), scoped=("under_review",),
             body=_body({"decision": "accept", "gpu_hours": 50, "comment": "Go."})),
    # allocations
    Endpoint("get", "/allocations", ok=("owner", 200)),
    Endpoint("get", "/allocations/{allocation}", ok=("member", 200), scoped=("allocation",)),
    Endpoint("post", "/allocations/{allocation}/final-report", ok=("owner", 200),
             wrong_roles=("operator", "observer"), scoped=("allocation",),
             body=_body({"report": "We trained three models and published one paper."})),
    Endpoint("post", "/allocations/{allocation}/suspend", ok=("operator", 200),
             wrong_roles=("owner", "observer"), scoped=("allocation",),
             body=_body({"reason": "Misuse."})),
    Endpoint("post", "/allocations/{allocation}/resume", ok=("operator", 200),
             wrong_roles=("owner", "observer"), scoped=("allocation",),
             prepare=lambda w: allocation_suspend(allocation=w.allocation, by=w.operator)),
    Endpoint("post", "/allocations/{allocation}/close", ok=("operator", 200),
             wrong_roles=("owner", "observer"), scoped=("allocation",)),
    # jobs
    Endpoint("get", "/jobs", ok=("owner", 200)),
    Endpoint("post", "/jobs", ok=("member", 201), wrong_roles=("observer", "operator"),
             scoped=("allocation",),
             body=lambda w, ids: {"allocation": ids["allocation"], "name": "train",
                                  "script": "#!/bin/bash\npython train.py\n", "gpus": 1,
                                  "walltime_minutes": 10}),
    Endpoint("post", "/jobs/batch", ok=("member", 201), wrong_roles=("observer", "operator"),
             scoped=("allocation",),
             body=lambda w, ids: {"allocation": ids["allocation"], "jobs": [
                 {"name": f"sweep-{i}", "script": "#!/bin/bash\npython train.py\n",
                  "gpus": 1, "walltime_minutes": 10} for i in range(2)]}),
    Endpoint("post", "/jobs/estimate", ok=("owner", 200), scoped=("allocation",),
             body=lambda w, ids: {"allocation": ids["allocation"], "gpus": 2,
                                  "walltime_minutes": 60}),
    Endpoint("get", "/jobs/{job}", ok=("member", 200), scoped=("job",)),
    Endpoint("get", "/jobs/{job}/tasks", ok=("member", 200), scoped=("job",)),
    Endpoint("post", "/jobs/{job}/cancel", ok=("owner", 200), wrong_roles=("observer",),
             scoped=("job",)),
    Endpoint("get", "/jobs/{job}/log", ok=("owner", 200), scoped=("job",), text=True),
    # expertise desk: members of the organisation, the assigned expert, operators
    Endpoint("get", "/expertise-requests", ok=("owner", 200)),
    Endpoint("post", "/expertise-requests", ok=("member", 201), wrong_roles=("observer",),
             scoped=("org",),
             body=lambda w, ids: {"organization": ids["org"], "topic": "scaling",
                                  "title": "Multi-node", "description": "How to scale?"}),
    Endpoint("get", "/expertise-requests/{expertise_request}", ok=("expert", 200),
             scoped=("expertise_request",)),
    Endpoint("post", "/expertise-requests/{expertise_request}/messages", ok=("member", 201),
             wrong_roles=("observer",), scoped=("expertise_request",),
             body=_body({"body": "Any news?"})),
    Endpoint("post", "/expertise-requests/{expertise_request}/attachments", ok=("member", 201),
             wrong_roles=("observer",), scoped=("expertise_request",), upload=True),
    Endpoint("post", "/expertise-requests/{expertise_request}/wait", ok=("expert", 200),
             wrong_roles=("owner", "member", "observer"), scoped=("expertise_request",)),
    Endpoint("post", "/expertise-requests/{expertise_request}/assign", ok=("operator", 200),
             wrong_roles=("owner", "member", "observer", "expert"),
             scoped=("expertise_request",),
             body=lambda w, ids: {"username": _expert(w).username}),
    Endpoint("post", "/expertise-requests/{expertise_request}/resolve", ok=("expert", 200),
             wrong_roles=("owner", "member", "observer"), scoped=("expertise_request",)),
    Endpoint("post", "/expertise-requests/{expertise_request}/rating", ok=("member", 200),
             wrong_roles=("observer", "expert"), scoped=("expertise_request",),
             body=_body({"satisfaction": 5}),
             prepare=lambda w: _resolve_request(w)),
    Endpoint("get", "/experts", ok=("operator", 200),
             wrong_roles=("owner", "observer", "expert")),
    # training events: public to signed-in users; operators publish; registrations are one's own
    Endpoint("get", "/events", ok=("owner", 200)),
    Endpoint("post", "/events", ok=("operator", 201), wrong_roles=("owner", "observer"),
             body=_body({"title": "Scaling PyTorch", "starts_at": "2099-03-01T09:00:00Z",
                         "ends_at": "2099-03-01T12:00:00Z", "capacity": 30})),
    Endpoint("post", "/events/{event}/registrations", ok=("member", 201)),
    Endpoint("get", "/events/{event}/registrations", ok=("operator", 200)),
    Endpoint("delete", "/events/{event}/registrations/mine", ok=("owner", 200),
             prepare=lambda w: _register_owner(w)),
    # European opportunities: matched to a visible organisation; operators publish
    Endpoint("get", "/opportunities?organization={org}", ok=("member", 200), scoped=("org",)),
    Endpoint("post", "/opportunities", ok=("operator", 201), wrong_roles=("owner", "observer"),
             body=_body({"title": "EuroHPC AI Factories access", "kind": "ai_factory",
                         "deadline": "2099-01-31", "url": "https://eurohpc-ju.europa.eu/"})),
    # notification preferences: everyone signed in, their own only
    Endpoint("get", "/notification-preferences", ok=("observer", 200)),
    Endpoint("put", "/notification-preferences", ok=("member", 200),
             body=_body({"kinds": {"proposal_decided": "digest"}, "digest": "weekly"})),
    # KPIs and the outlook: read-only; operators and observers see every organisation's
    # figures, anyone else signed in their own organisations' (reports/tests/test_api.py)
    Endpoint("get", "/kpis?group_by=sector", ok=("member", 200)),
    Endpoint("get", "/kpis/time-to-access", ok=("owner", 200)),
    Endpoint("get", "/outlook", ok=("reviewer", 200)),
)

WRONG_ROLE_CASES = [pytest.param(e, role, id=f"{e.id} as {role}")
                    for e in ENDPOINTS for role in e.wrong_roles]
SCOPED = [pytest.param(e, id=e.id) for e in ENDPOINTS if e.scoped]
ALL = [pytest.param(e, id=e.id) for e in ENDPOINTS]


def call(client: ApiClient, endpoint: Endpoint, world: World, ids: dict[str, int]) -> Any:
    url = endpoint.url(ids)
    if endpoint.upload:
        return client.upload(url)
    body = endpoint.body(world, ids) if endpoint.body else None
    return client.request(endpoint.method, url, body)


def _template(path: str) -> tuple[str, str]:
    path = path.split("?", 1)[0]  # a row may carry its query (GET /opportunities?organization=)
    return path, re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_in_the_table(api):
    schema = api(None).get("/openapi.json")
    assert schema.status_code == 200
    routes = {(method.lower(), _template(path)[1])
              for path, operations in schema.json()["paths"].items()
              for method in operations}
    routes = {(m, p.removeprefix("/api/v1")) for m, p in routes}
    table = {(e.method, _template(e.path)[1]) for e in ENDPOINTS}
    assert routes - table == set(), "routes missing from ENDPOINTS: add a row"
    assert table - routes == set(), "rows for routes that do not exist"
    assert len(table) == len(ENDPOINTS), "duplicate rows"


def test_ninja_routers_and_openapi_agree():
    """The schema lists every mounted operation (a route hidden from it would escape the table)."""
    mounted = sum(len(op.methods) for _, router in ninja_api._routers
                  for view in router.path_operations.values() for op in view.operations)
    documented = sum(len(ops) for ops in ninja_api.get_openapi_schema()["paths"].values())
    assert mounted == documented == len(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ALL)
def test_anonymous_gets_401(endpoint, world):
    ids = world.ids()
    for client in (ApiClient(None), ApiClient(None, token="ant_not-a-real-token")):
        assert_error(call(client, endpoint, world, ids), 401, "Authorization")


@pytest.mark.parametrize(("endpoint", "role"), WRONG_ROLE_CASES)
def test_wrong_role_gets_403(endpoint, role, world):
    if endpoint.prepare:
        endpoint.prepare(world)
    response = call(ApiClient(world.user(role)), endpoint, world, world.ids())
    assert_error(response, 403)


@pytest.mark.parametrize("endpoint", SCOPED)
def test_other_organisation_gets_the_same_404_as_a_missing_id(endpoint, world):
    if endpoint.prepare:
        endpoint.prepare(world)
    ids = world.ids()
    outsider = ApiClient(world.outsider)
    not_theirs = assert_error(call(outsider, endpoint, world, ids), 404)
    missing_ids = {**ids, **dict.fromkeys(endpoint.scoped, MISSING_ID)}
    missing = assert_error(call(ApiClient(world.owner), endpoint, world, missing_ids), 404)
    assert error_shape(not_theirs) == error_shape(missing)


@pytest.mark.parametrize("endpoint", ALL)
def test_the_right_role_gets_through(endpoint, world):
    if endpoint.prepare:
        endpoint.prepare(world)
    role, status = endpoint.ok
    response = call(ApiClient(world.user(role)), endpoint, world, world.ids())
    assert response.status_code == status, response.content[:500]
    expected = "text/plain" if endpoint.text else "application/json"
    assert response["Content-Type"].startswith(expected)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in ENDPOINTS
                                      if e.method == "get"])
def test_session_authentication_works_like_a_token(endpoint, world):
    role, status = endpoint.ok
    response = call(ApiClient.session(world.user(role)), endpoint, world, world.ids())
    assert response.status_code == status


def test_session_writes_need_the_csrf_token(world):
    client = ApiClient.session(world.owner, enforce_csrf_checks=True)
    response = client.post(f"/proposals/{world.draft.pk}/withdraw")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()
    world.draft.refresh_from_db()
    assert world.draft.state == "draft"


def test_an_unassigned_reviewer_does_not_see_a_proposal(world):
    client = ApiClient(world.reviewer2)
    assert_error(client.get(f"/proposals/{world.in_peer_review.pk}"), 404)
    assert client.get("/proposals").json()["count"] == 0
    assigned = ApiClient(world.reviewer).get("/proposals").json()
    assert [p["id"] for p in assigned["items"]] == [world.in_peer_review.pk]


def test_revoked_token_is_refused(world):
    from antenna.accounts.services import token_create, token_revoke

    token, key = token_create(user=world.owner)
    client = ApiClient(None, token=key)
    assert client.get("/proposals").status_code == 200
    token_revoke(token=token, by=world.owner)
    assert_error(client.get("/proposals"), 401)
