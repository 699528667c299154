"""Malformed input is a 4xx with a detail that says what to fix, never a 500."""

from __future__ import annotations

import pytest

from antenna.testing import ApiClient, World, assert_error

pytestmark = pytest.mark.django_db


def _proposal(w: World, **changes):
    body = {"call": w.calls["fast_lane"].pk, "organization": w.org.pk, "title": "T",
            "abstract": "A", "requested_gpu_hours": 10, "duration_months": 1}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


CASES = [
    # (who, method, path, body builder, status, fragment)
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours="many"), 422,
     "requested_gpu_hours"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, title=...), 422, "title"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours=-5), 400,
     "requested_gpu_hours must be a whole number of at least 1"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, duration_months=0), 400,
     "duration_months"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, factory=987654), 400,
     "no factory with id 987654"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, call=987654), 404, "call"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, openness="secret"), 400,
     "openness"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, storage_tb=-1), 400, "storage_tb"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, title="   "), 400, "title"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, principal_investigator="ghost"),
     400, "principal_investigator"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, pi_contract_ends_on="someday"),
     422, "pi_contract_ends_on"),
    ("owner", "post", "/proposals", lambda w: "{not json", 400, "parse"),
    ("owner", "post", "/proposals", lambda w: [1, 2], 422, ""),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"gpus_per_job": 0}, 400,
     "gpus_per_job"),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"duration_months": "long"}, 422,
     "duration_months"),
    ("owner", "post", "/organizations", lambda w: {"legal_name": "X"}, 422, "kind"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "startup", "country": 32}, 422, "country"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "startup", "country": "BE", "region": "flanders",
                "enterprise_number": "0123.456.789"}, 400, "enterprise number"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "marathon",
                                               "factories": [w.factory.pk]}, 400,
     "Unknown access mode 'marathon'"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [987654]}, 400, "987654"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "max_gpu_hours": -10}, 400, "max_gpu_hours"),
    ("operator", "post", "/calls", lambda w: {"mode": "fast_lane"}, 422, "title"),
    ("operator", "post", "/proposals/{under_review}/decision",
     lambda w: {"gpu_hours": 5}, 422, "decision"),
    ("operator", "post", "/proposals/{under_review}/decision",
     lambda w: {"decision": "accept", "gpu_hours": "lots"}, 422, "gpu_hours"),
    ("operator", "post", "/proposals/{under_review}/technical-assessment",
     lambda w: {"feasible": "perhaps"}, 422, "feasible"),
    ("operator", "post", "/proposals/{under_review}/technical-assessment",
     lambda w: {"feasible": True, "factory": 987654}, 400, "987654"),
    ("operator", "post", "/proposals/{in_peer_review}/reviewers", lambda w: {}, 422,
     "username"),
    ("owner", "post", "/organizations/{org}/members",
     lambda w: {"username": w.newcomer.username, "role": "boss"}, 400, "owner' or 'member"),
    ("owner", "get", "/proposals?limit=abc", lambda w: None, 422, "limit"),
    ("owner", "get", "/calls/not-a-number", lambda w: None, 422, "call_id"),
    ("owner", "get", "/allocations?state=nonsense&limit=-5", lambda w: None, 200, ""),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "fragment"), CASES,
                         ids=[f"{c[1]} {c[2]} #{i}" for i, c in enumerate(CASES)])
def test_malformed_input_is_a_helpful_4xx(world, who, method, path, body, status, fragment):
    client = ApiClient(world.user(who))
    response = client.request(method, path.format(**world.ids()), body(world))
    if status == 200:
        assert response.status_code == 200
        return
    assert_error(response, status, fragment)


HUGE = 10**20


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "fragment"), [
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours=10**12), 400,
     "requested_gpu_hours must be at most"),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"requested_gpu_hours": 2**40}, 400,
     "at most"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, organization=HUGE), 422,
     "organization"),
    ("owner", "get", "/proposals?offset=" + str(HUGE), lambda w: None, 200, ""),
    ("owner", "get", "/proposals?call=" + str(HUGE), lambda w: None, 422, "call"),
    ("owner", "get", "/allocations?factory=" + str(HUGE), lambda w: None, 422, "factory"),
    ("owner", "get", "/proposals/" + str(HUGE), lambda w: None, 404, "not found"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X" * 201, "kind": "sme", "country": "DE"}, 400, "legal name"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "sme", "country": "DE",
                "website": "https://" + "x" * 201}, 400, "website"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "sme", "country": "DE", "vat_number": "1" * 21},
     400, "VAT"),
    ("operator", "post", "/calls", lambda w: {"title": "X" * 201, "mode": "fast_lane",
                                               "factories": [w.factory.pk]}, 400, "title"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [HUGE]}, 422, "factories"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "max_gpu_hours": 10**12}, 400, "max_gpu_hours"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "min_reviews": -1}, 400, "min_reviews"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "decision_target_days": 10**6}, 400,
     "decision_target_days"),
])
def test_out_of_range_values_are_refused_before_the_database(world, who, method, path, body,
                                                             status, fragment):
    response = ApiClient(world.user(who)).request(method, path.format(**world.ids()),
                                                  body(world))
    if status == 200:
        assert response.status_code == 200
        assert response.json()["items"] == []
        return
    assert_error(response, status, fragment)


def test_unknown_route_is_a_json_404(world):
    response = ApiClient(world.owner).get("/nothing-here")
    assert response.status_code == 404


@pytest.mark.parametrize(("who", "path", "state"), [
    ("owner", "/proposals/{draft}/withdraw", "withdrawn"),
    ("owner", "/proposals/{draft}/submit", "technical_review"),
    ("operator", "/allocations/{allocation}/suspend", "suspended"),
    ("operator", "/allocations/{allocation}/close", "closed"),
])
def test_actions_need_no_body_at_all(world, who, path, state):
    client = ApiClient(world.user(who))
    response = client.client.generic("POST", "/api/v1" + path.format(**world.ids()),
                                     headers=client.headers)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == state


def test_auto_assignment_needs_no_body(world):
    client = ApiClient(world.operator)
    response = client.client.generic(
        "POST", f"/api/v1/proposals/{world.in_peer_review.pk}/reviewers/auto",
        headers=client.headers)
    assert response.status_code == 201, response.content
    assert [a["reviewer"] for a in response.json()] == [world.reviewer2.username]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/organizations", {"legal_name": "Nul\x00Corp", "kind": "sme", "country": "DE"}),
    ("patch", "/proposals/{draft}", {"title": "Nul\x00title"}),
    ("get", "/organizations?country=B%00E", None),
    ("post", "/jobs", {"allocation": 1, "name": "n", "script": "echo \x00"}),
])
def test_nul_characters_are_refused_with_422(world, method, path, body):
    """A NUL character (which PostgreSQL cannot store) is refused before any service runs."""
    before = world.org.__class__.objects.count()
    response = ApiClient(world.owner).request(method, path.format(**world.ids()), body)
    assert_error(response, 422, "NUL")
    assert world.org.__class__.objects.count() == before


@pytest.mark.parametrize("website", [
    "javascript:alert(3)", "JavaScript:alert(3)", " javascript:alert(3)", "data:text/html,x",
    "file:///etc/passwd", "ftp://example.org", "https://", "example.org",
])
def test_website_links_other_than_http_are_refused(world, website):
    """A stored `javascript:` link would run in the browser of whoever opens the page."""
    response = ApiClient(world.owner).post("/organizations", {
        "legal_name": "Link Corp", "kind": "sme", "country": "DE", "website": website})
    assert_error(response, 422, "https://")
    assert not world.org.__class__.objects.filter(legal_name="Link Corp").exists()


def test_website_checked_by_the_service_too(world):
    """The page form and any other caller go through the same rule."""
    from antenna.core.errors import ValidationFailed
    from antenna.organizations.services import organization_create

    with pytest.raises(ValidationFailed, match="https://"):
        organization_create(by=world.owner, legal_name="X", kind="sme", country="DE",
                            website="javascript:alert(1)")
    org = organization_create(by=world.owner, legal_name="Y", kind="sme", country="DE",
                              website="https://y.example")
    assert org.website == "https://y.example"


@pytest.mark.parametrize("country", ["XX", "ZZ", "EU", "UK"])
def test_countries_are_iso_3166_codes(world, country):
    response = ApiClient(world.owner).post("/organizations", {
        "legal_name": "Nowhere Ltd", "kind": "sme", "country": country})
    assert_error(response, 400, "ISO")


@pytest.mark.parametrize("body", [
    {"gpus": -5}, {"gpus": 0}, {"gpus": 10**6}, {"walltime_minutes": 0},
    {"walltime_minutes": -60}, {"walltime_minutes": 10**7},
])
def test_estimate_has_the_same_bounds_as_submit(world, body):
    payload = {"allocation": world.allocation.pk, **body}
    response = ApiClient(world.owner).post("/jobs/estimate", payload)
    field = next(iter(body))
    assert_error(response, 422, field)
    submit = ApiClient(world.owner).post("/jobs", {
        "allocation": world.allocation.pk, "name": "n", "script": "true", **body})
    assert_error(submit, 422, field)
