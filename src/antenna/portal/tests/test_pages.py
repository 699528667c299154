"""Home, operator console and overview pages."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_home_anonymous_explains_modes_and_factories(factory):
    call = testing.make_call("playground", factories=[factory])
    response = client_for().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert factory.display_name in html
    assert call.title in html
    assert "Fast Lane" in html
    assert "/accounts/signup/" in html
    assert 'lang="en"' in html
    assert "htmx" in html and "unpkg" not in html


def test_home_signed_in_shows_dashboard_with_budget(applicant, operator, factory):
    org = testing.make_org(applicant)
    call = testing.make_call("playground", factories=[factory], by=operator)
    proposal = testing.make_proposal(applicant, call, org, requested_gpu_hours=100)
    proposal_submit(proposal=proposal, by=applicant)
    response = client_for(applicant).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert org.legal_name in html
    assert proposal.title in html
    assert 'class="bar"' in html
    assert "/console/" not in html


def test_home_query_count_does_not_grow(applicant, operator, factory,
                                        django_assert_max_num_queries):
    org = testing.make_org(applicant)
    for _ in range(4):
        call = testing.make_call("playground", factories=[factory], by=operator)
        proposal_submit(proposal=testing.make_proposal(applicant, call, org), by=applicant)
    client = client_for(applicant)
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200


def test_console_for_operators_only(operator, applicant, observer):
    assert client_for(operator).get("/console/").status_code == 200
    assert client_for(applicant).get("/console/").status_code == 403
    assert client_for(observer).get("/console/").status_code == 403
    anonymous = client_for().get("/console/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_console_lists_waiting_proposals(operator, applicant, factory,
                                         django_assert_max_num_queries):
    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    for n in range(3):
        org = testing.make_org(applicant)
        proposal = testing.make_proposal(applicant, call, org, title=f"Waiting {n}")
        proposal_submit(proposal=proposal, by=applicant)
    client = client_for(operator)
    with django_assert_max_num_queries(10):
        response = client.get("/console/")
    html = response.content.decode()
    assert "Waiting 0" in html and "Waiting 2" in html
    assert "proposal.submit" in html


def test_overview_for_operators_and_observers(operator, observer, applicant):
    assert "The antenna in numbers" in client_for(observer).get("/overview/").content.decode()
    assert "The antenna in numbers" in client_for(operator).get("/overview/").content.decode()
    mine = client_for(applicant).get("/overview/")  # their own organisations' indicators
    assert mine.status_code == 200
    assert "Your organisations in numbers" in mine.content.decode()
    assert "The antenna in numbers" not in mine.content.decode()
    assert client_for().get("/overview/").status_code == 302
