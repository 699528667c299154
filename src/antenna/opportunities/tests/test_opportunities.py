"""The opportunity catalogue: matching (pure) and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna.opportunities.matching import Criteria, Profile, match_reason
from antenna.opportunities.services import opportunity_create
from antenna.testing import ApiClient, assert_error, make_operator, make_org, make_user

SME_WALLONIA = Profile(kind="sme", sector="manufacturing_robotics", region="wallonia",
                       country="BE")


def test_university_only_does_not_match_an_sme():
    assert match_reason(Criteria(["university"], [], [], []), SME_WALLONIA) is None


def test_reason_names_each_criterion_met():
    criteria = Criteria(["sme", "startup"], [], ["wallonia"], ["BE"])
    assert match_reason(criteria, SME_WALLONIA) == "kind: sme; region: wallonia; country: BE"
    assert match_reason(Criteria([], [], [], []), SME_WALLONIA) == "open to all"
    assert match_reason(Criteria([], [], ["flanders"], []), SME_WALLONIA) is None


@pytest.mark.django_db
def test_an_sme_in_wallonia_sees_what_fits_it_and_no_past_deadline():
    owner, outsider, operator = make_user(), make_user(), make_operator()
    org = make_org(owner, kind="sme", region="wallonia")
    future = timezone.localdate() + dt.timedelta(days=30)
    created = ApiClient(operator).post("/opportunities", {
        "title": "Fast Lane for SMEs", "kind": "ai_factory", "deadline": future.isoformat(),
        "eligible_kinds": ["sme", "startup"], "url": "https://example.org/fast-lane"})
    assert created.status_code == 201, created.content
    opportunity_create(title="University chairs", kind="horizon_europe", deadline=future,
                       eligible_kinds=["university"], url="https://example.org/u", by=operator)
    opportunity_create(title="Closed call", kind="eurohpc",
                       deadline=timezone.localdate() - dt.timedelta(days=1),
                       url="https://example.org/c", by=operator)
    items = ApiClient(owner).get(f"/opportunities?organization={org.pk}").json()
    assert [(i["title"], i["reason"]) for i in items] == [("Fast Lane for SMEs", "kind: sme")]
    assert {"id", "title", "deadline", "reason"} <= set(items[0])
    assert_error(ApiClient(outsider).get(f"/opportunities?organization={org.pk}"), 404)
    assert_error(ApiClient(owner).post("/opportunities", {
        "title": "x", "kind": "tef", "deadline": future.isoformat(),
        "url": "https://example.org/x"}), 403)
