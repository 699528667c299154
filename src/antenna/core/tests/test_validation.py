"""Malformed input is a 4xx with a detail that says what to fix, never a 500."""

from __future__ import annotations

from urllib.parse import quote

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
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours=-5), 422,
     "requested_gpu_hours: give a number of at least 1."),
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours=0), 422,
     "requested_gpu_hours: give a number of at least 1."),
    ("owner", "post", "/proposals", lambda w: _proposal(w, duration_months=0), 422,
     "duration_months: give a number of at least 1."),
    ("owner", "post", "/proposals", lambda w: _proposal(w, factory=987654), 404,
     "no factory with id 987654"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, call=987654), 404, "call"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, openness="secret"), 422,
     "openness: use one of open, partial, closed."),
    ("owner", "post", "/proposals", lambda w: _proposal(w, storage_tb=-1), 422, "storage_tb"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, title="   "), 422,
     "title: write something here: it cannot be empty or only spaces."),
    ("owner", "post", "/proposals", lambda w: _proposal(w, principal_investigator="ghost"),
     404, "principal_investigator"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, pi_contract_ends_on="someday"),
     422, "pi_contract_ends_on"),
    ("owner", "post", "/proposals", lambda w: "{not json", 400, "parse"),
    ("owner", "post", "/proposals", lambda w: [1, 2], 422, ""),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"gpus_per_job": 0}, 422,
     "gpus_per_job: give a number of at least 1."),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"duration_months": "long"}, 422,
     "duration_months"),
    ("owner", "post", "/organizations", lambda w: {"legal_name": "X"}, 422,
     "kind: this field is required."),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "farm", "country": "DE"}, 422,
     "kind: use one of startup, sme, large_enterprise, university, research_centre, "
     "public_administration, non_profit."),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "sme", "country": "DE", "region": "mars"}, 422,
     "region: use one of flanders, wallonia, brussels, outside_belgium, or leave it empty."),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": " ", "kind": "sme", "country": "DE"}, 422,
     "legal_name: write something here"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "startup", "country": 32}, 422, "country"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "startup", "country": "BE", "region": "flanders",
                "enterprise_number": "0123.456.789"}, 400, "enterprise number"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "marathon",
                                               "factories": [w.factory.pk]}, 422,
     "mode: use one of playground, fast_lane, large_scale, ai_for_science."),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": []}, 422,
     "factories: give at least 1 item."),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "min_gpu_hours": 10, "max_gpu_hours": 5}, 422,
     "max_gpu_hours (5) must be at least min_gpu_hours (10)"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "opens_on": "2026-05-01",
                                               "closes_on": "2026-04-01"}, 422,
     "closes_on must not be before opens_on"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "eligible_kinds": ["farm"]}, 422,
     "eligible_kinds.0: use one of startup, sme"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [987654]}, 404, "987654"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "max_gpu_hours": -10}, 422,
     "max_gpu_hours: give a number of at least 1."),
    ("operator", "post", "/calls", lambda w: {"mode": "fast_lane"}, 422,
     "title: this field is required."),
    ("operator", "post", "/proposals/{under_review}/decision",
     lambda w: {"gpu_hours": 5}, 422, "decision"),
    ("operator", "post", "/proposals/{under_review}/decision",
     lambda w: {"decision": "accept", "gpu_hours": "lots"}, 422, "gpu_hours"),
    ("operator", "post", "/proposals/{under_review}/technical-assessment",
     lambda w: {"feasible": "perhaps"}, 422, "feasible"),
    ("operator", "post", "/proposals/{under_review}/technical-assessment",
     lambda w: {"feasible": True, "factory": 987654}, 404, "987654"),
    ("operator", "post", "/proposals/{in_peer_review}/reviewers", lambda w: {}, 422,
     "username"),
    ("owner", "post", "/organizations/{org}/members",
     lambda w: {"username": w.newcomer.username, "role": "boss"}, 422,
     "role: use one of owner, member."),
    ("owner", "post", "/jobs", lambda w: {"allocation": w.allocation.pk, "name": "n",
                                          "script": "echo hi"}, 422,
     "script: start the script with an interpreter line such as #!/bin/bash."),
    ("owner", "post", "/allocations/{allocation}/final-report", lambda w: {"report": "Done."},
     422, "report: write a final report of a few sentences"),
    ("owner", "post", "/proposals", lambda w: [1, 2], 422, "send a JSON object"),
    ("owner", "get", "/proposals?limit=abc", lambda w: None, 422, "limit"),
    ("owner", "get", "/calls/not-a-number", lambda w: None, 422, "call_id"),
    ("owner", "get", "/allocations?state=nonsense&limit=-5", lambda w: None, 200, ""),
]


# pydantic's own wording: a refusal that says "String should match pattern '^[^\x00]*...'"
# tells the user nothing they can act on. None of it may reach an answer.
PYDANTIC_WORDING = ("should match pattern", "Input should", "List should", "String should",
                    "Field required", "Value error", "Value should", "Unable to parse",
                    "valid integer", "literal_error")


def assert_human(response) -> None:
    """A 422 says in sentences what to send instead, in `detail` and in each error's `msg`."""
    body = response.json()
    texts = [body["detail"], *(e["msg"] for e in body.get("errors", []))]
    for text in texts:
        for words in PYDANTIC_WORDING:
            assert words.lower() not in text.lower(), (words, text)


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "fragment"), CASES,
                         ids=[f"{c[1]} {c[2]} #{i}" for i, c in enumerate(CASES)])
def test_malformed_input_is_a_helpful_4xx(world, who, method, path, body, status, fragment):
    client = ApiClient(world.user(who))
    response = client.request(method, path.format(**world.ids()), body(world))
    if status == 200:
        assert response.status_code == 200
        return
    assert_error(response, status, fragment)
    if status == 422:
        assert_human(response)


HUGE = 10**20


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "fragment"), [
    ("owner", "post", "/proposals", lambda w: _proposal(w, requested_gpu_hours=10**12), 422,
     "requested_gpu_hours: give a number of at most 1000000000."),
    ("owner", "patch", "/proposals/{draft}", lambda w: {"requested_gpu_hours": 2**40}, 422,
     "at most"),
    ("owner", "post", "/proposals", lambda w: _proposal(w, organization=HUGE), 422,
     "organization"),
    ("owner", "get", "/proposals?offset=" + str(HUGE), lambda w: None, 200, ""),
    ("owner", "get", "/proposals?call=" + str(HUGE), lambda w: None, 422, "call"),
    ("owner", "get", "/allocations?factory=" + str(HUGE), lambda w: None, 422, "factory"),
    ("owner", "get", "/proposals/" + str(HUGE), lambda w: None, 404, "not found"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X" * 201, "kind": "sme", "country": "DE"}, 422,
     "legal_name: write at most 200 characters."),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "sme", "country": "DE",
                "website": "https://" + "x" * 201}, 422, "website: write at most 200"),
    ("owner", "post", "/organizations",
     lambda w: {"legal_name": "X", "kind": "sme", "country": "DE", "vat_number": "1" * 21},
     422, "vat_number: write at most 20 characters."),
    ("operator", "post", "/calls", lambda w: {"title": "X" * 201, "mode": "fast_lane",
                                               "factories": [w.factory.pk]}, 422,
     "title: write at most 200 characters."),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [HUGE]}, 422, "factories"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "max_gpu_hours": 10**12}, 422, "max_gpu_hours"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "min_reviews": -1}, 422, "min_reviews"),
    ("operator", "post", "/calls", lambda w: {"title": "X", "mode": "fast_lane",
                                               "factories": [w.factory.pk],
                                               "decision_target_days": 10**6}, 422,
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
    if status == 422:
        assert_human(response)


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
    assert_error(response, 422, "ISO")


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


def _patterns(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        for value in node.values():
            _patterns(value, found)
    elif isinstance(node, list):
        for value in node:
            _patterns(value, found)
    return found


def test_every_pattern_in_the_document_has_its_sentence():
    """A pattern the API declares without a sentence would reach the user as pydantic's
    "String should match pattern '...'": each one is registered with `explained_pattern`."""
    from antenna.config.api import api
    from antenna.core.schemas import pattern_message

    patterns = _patterns(api.get_openapi_schema(), set())
    assert len(patterns) >= 5, patterns
    assert [p for p in patterns if not pattern_message(p)] == []


@pytest.mark.parametrize(("error", "sentence"), [
    ({"type": "string_pattern_mismatch", "loc": ["body", "payload", "x"],
      "msg": "String should match pattern 'zzz'", "ctx": {"pattern": "zzz"}},
     "this text is not in an accepted form."),
    ({"type": "literal_error", "loc": [], "msg": "Input should be 'a' or 'b'",
      "ctx": {"expected": "'a' or 'b'"}}, "use one of a, b."),
    ({"type": "too_short", "loc": [], "msg": "List should have at least 2 items",
      "ctx": {"min_length": 2, "field_type": "List", "actual_length": 0}},
     "give at least 2 items."),
    ({"type": "less_than_equal", "loc": [], "msg": "Input should be less than or equal to 5",
      "ctx": {"le": 5}}, "give a number of at most 5."),
    ({"type": "value_error", "loc": [], "msg": "Value error, Say it plainly.",
      "ctx": {"error": "Say it plainly."}}, "Say it plainly."),
])
def test_validation_errors_become_sentences(error, sentence):
    from antenna.core.api import human_validation_message

    assert human_validation_message(error) == sentence


def _organization_document() -> dict:
    from antenna.config.api import api

    return api.get_openapi_schema()["components"]["schemas"]["OrganizationIn"]


@pytest.mark.parametrize(("changes", "valid", "status"), [
    ({"country": "DE", "region": "outside_belgium"}, True, 201),
    ({"country": "DE"}, True, 201),
    ({"country": "AD", "region": "brussels"}, False, 400),
    ({"country": "BE", "region": "flanders", "enterprise_number": "0123.456.749"}, True, 201),
    ({"country": "BE", "region": "wallonia", "enterprise_number": "BE 0203 201 340"}, True,
     201),
    ({"country": "BE", "region": "flanders"}, False, 400),
    ({"country": "BE", "region": "flanders", "enterprise_number": "  "}, False, 400),
    ({"country": "BE", "enterprise_number": "0123.456.749"}, False, 400),
    ({"country": "BE", "region": "outside_belgium", "enterprise_number": "0123.456.749"},
     False, 400),
])
def test_the_document_states_the_belgian_rules(world, changes, valid, status):
    """The OpenAPI document says (JSON-schema if/then) what the server refuses between fields:
    a region in Belgium only with country BE; a Belgian organisation with its region and its
    enterprise number. A body the document calls valid is accepted, and the reverse."""
    import jsonschema_rs

    body = {"legal_name": "Rule Test", "kind": "sme", **changes}
    assert jsonschema_rs.validator_for(_organization_document()).is_valid(body) is valid
    response = ApiClient(world.owner).post("/organizations", body)
    assert response.status_code == status, response.content


def test_a_call_bound_not_given_follows_the_given_one(world):
    """Only `min_gpu_hours` above the mode's default maximum: the maximum follows, so the body
    alone says whether it is valid (the document cannot compare two fields)."""
    response = ApiClient(world.operator).post("/calls", {
        "title": "Big", "mode": "fast_lane", "factories": [world.factory.pk],
        "min_gpu_hours": 60_000})
    assert response.status_code == 201, response.content
    assert (response.json()["min_gpu_hours"], response.json()["max_gpu_hours"]) == (60_000,
                                                                                     60_000)


def test_numbers_are_not_dates_nor_times():
    """pydantic reads `0` or `"0"` as a timestamp (1970-01-01): the document says a date is
    `2026-03-31`, so every input refuses a number there, in a body or a query string."""
    import datetime as dt

    from pydantic import ValidationError

    from antenna.core.schemas import InputSchema

    class When(InputSchema):
        on: dt.date | None = None
        at: dt.datetime | None = None

    for bad in ({"on": "0"}, {"on": 0}, {"at": 0}, {"at": 1.5e9}):
        with pytest.raises(ValidationError, match="like 2026-03-31"):
            When.model_validate(bad)
    good = When.model_validate({"on": "2026-03-31", "at": "2026-03-31T14:00:00+02:00"})
    assert good.on == dt.date(2026, 3, 31)


STORED_IN = {"/opportunities": "opportunities.Opportunity", "/events": "training.TrainingEvent",
             "/expertise-requests": "expertise.ExpertiseRequest"}
BLANKS = [" ", "\x1f", "\u00a0\t"]  # \x1f: blank to str.strip(), and to the pattern too


@pytest.mark.parametrize("blank", BLANKS, ids=["space", "unit-separator", "nbsp-tab"])
@pytest.mark.parametrize(("who", "path", "field", "body"), [
    ("operator", "/opportunities", "title",
     lambda w: {"title": "T", "kind": "ai_factory", "deadline": "2099-01-31",
                "url": "https://eurohpc-ju.europa.eu/"}),
    ("operator", "/events", "title",
     lambda w: {"title": "T", "starts_at": "2099-03-01T09:00:00Z",
                "ends_at": "2099-03-01T12:00:00Z", "capacity": 30}),
    ("owner", "/expertise-requests", "title",
     lambda w: {"organization": w.org.pk, "topic": "scaling", "title": "T",
                "description": "D"}),
    ("owner", "/expertise-requests", "description",
     lambda w: {"organization": w.org.pk, "topic": "scaling", "title": "T",
                "description": "D"}),
], ids=["opportunity title", "event title", "expertise title", "expertise description"])
def test_blank_texts_are_refused_by_the_schema(world, who, path, field, body, blank):
    """Texts that must say something carry NOT_BLANK_PATTERN: a blank one (what `str.strip`
    empties) is a 422 naming the field, and nothing is stored (the event's title was once
    stored empty)."""
    from django.apps import apps
    model = apps.get_model(STORED_IN[path])
    before = model.objects.count()
    response = ApiClient(world.user(who)).post(path, {**body(world), field: blank})
    assert_error(response, 422, f"{field}: write something here")
    assert model.objects.count() == before


@pytest.mark.parametrize("text", ["+0.0", "1.0", " 7 ", "1_000"])
@pytest.mark.parametrize("path", ["/site-accounts", "/jobs", "/proposals"])
def test_query_numbers_are_whole_numbers_as_written(world, path, text):
    """A query's integer is written as one: pydantic alone would read "+0.0" or "1_000"."""
    response = ApiClient(world.user("owner")).get(f"{path}?limit={quote(text)}")
    assert_error(response, 422, "limit: give a whole number, like 20.")


def test_query_numbers_written_plainly_still_work(world):
    response = ApiClient(world.user("owner")).get("/jobs?limit=5&offset=0")
    assert response.status_code == 200
