"""The intake triage: its rules (pure function) and its page."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.factories.models import FactoryKind
from antenna.portal.triage import Answers, Goal, Route, recommend


def answers(goal=Goal.TRY_AI, hours=None, kind="startup", used_hpc=False) -> Answers:
    return Answers(goal=goal, gpu_hours=hours, organization_kind=kind, used_hpc=used_hpc)


@pytest.mark.parametrize(("given", "route"), [
    (answers(Goal.TEST_LOCALLY), Route.SANDBOX),
    (answers(Goal.TEST_LOCALLY, hours=200, kind="university"), Route.SANDBOX),
    (answers(Goal.TEST_LOCALLY, hours=20_000, kind="sme", used_hpc=True), Route.FAST_LANE),
    (answers(Goal.RESEARCH_EU, kind="large_enterprise"), Route.AI_FOR_SCIENCE),
    (answers(Goal.RESEARCH_EU, hours=900_000, kind="university"), Route.AI_FOR_SCIENCE),
    (answers(Goal.TRY_AI), Route.PLAYGROUND),
    (answers(Goal.TRY_AI, hours=1_000, kind="public_administration"), Route.PLAYGROUND),
    (answers(Goal.FINE_TUNE, hours=3_000, kind="sme", used_hpc=True), Route.PLAYGROUND),
    (answers(Goal.FINE_TUNE, hours=20_000, kind="sme", used_hpc=True), Route.FAST_LANE),
    (answers(Goal.FINE_TUNE, hours=None, kind="startup", used_hpc=True), Route.FAST_LANE),
    (answers(Goal.FINE_TUNE, hours=20_000, kind="sme", used_hpc=False), Route.PLAYGROUND),
    (answers(Goal.FINE_TUNE, hours=20_000, kind="large_enterprise", used_hpc=True),
     Route.PLAYGROUND),
    (answers(Goal.TRAIN_LARGE, hours=200_000, kind="startup", used_hpc=True),
     Route.LARGE_SCALE),
    (answers(Goal.TRAIN_LARGE, hours=None, kind="large_enterprise"), Route.LARGE_SCALE),
    (answers(Goal.TRAIN_LARGE, hours=None, kind="university"), Route.LUMI_NATIONAL),
    (answers(Goal.FINE_TUNE, hours=10_000, kind="research_centre"), Route.LUMI_NATIONAL),
    (answers(Goal.FINE_TUNE, hours=2_000, kind="university"), Route.PLAYGROUND),
    (answers(Goal.TRAIN_LARGE, hours=100_000, kind="non_profit"), Route.AI_FOR_SCIENCE),
])
def test_recommend(given, route):
    rec = recommend(given)
    assert rec.route == route
    assert 20 < len(rec.reason) < 400
    assert rec.reason.count(".") <= 3  # one or two sentences


def test_every_route_but_lumi_points_at_a_mode():
    assert recommend(answers(Goal.TEST_LOCALLY)).mode == "playground"
    assert recommend(answers(Goal.TRAIN_LARGE, kind="university")).mode is None


@pytest.mark.django_db
def test_triage_page_recommends_and_links_to_the_open_call():
    sandbox = testing.make_factory("sandbox", kind=FactoryKind.SANDBOX)
    call = testing.make_call("playground", factories=[sandbox])
    response = Client().get("/triage/", {"goal": "test_locally", "dont_know": "on",
                                         "organization_kind": "startup", "used_hpc": "no"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your route: The antenna&#x27;s local sandbox" in html
    assert f"/calls/{call.pk}/apply/?factory={sandbox.pk}" in html


@pytest.mark.django_db
def test_triage_htmx_answers_a_fragment_and_explains_lumi():
    response = Client().get("/triage/", {"goal": "train_large", "gpu_hours": "90000",
                                         "organization_kind": "university", "used_hpc": "yes"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "national LUMI share" in html and "LUMI consortium" in html


@pytest.mark.django_db
def test_triage_incomplete_answers_say_what_is_missing():
    response = Client().get("/triage/", {"goal": "try_ai", "organization_kind": "sme",
                                         "used_hpc": "no"})
    assert response.status_code == 400
    assert "tick" in response.content.decode()
    htmx = Client().get("/triage/", {"goal": "try_ai"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'role="alert"' in htmx.content.decode()


@pytest.mark.django_db
def test_anonymous_home_has_the_triage_form():
    html = Client().get("/").content.decode()
    assert 'id="triage_goal_0"' in html and 'hx-get="/triage/"' in html
    assert "national LUMI share" in html
