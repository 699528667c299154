"""Allocation pages: list with budget bars, detail, final report."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def granted(owner, operator, factory, hours=100):
    call = testing.make_call("playground", factories=[factory], by=operator)
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org,
                                                              requested_gpu_hours=hours),
                               by=owner)
    return proposal.allocation


def test_list_shows_budgets_with_bounded_queries(applicant, operator, factory,
                                                 django_assert_max_num_queries):
    allocations = [granted(applicant, operator, factory) for _ in range(4)]
    client = client_for(applicant)
    with django_assert_max_num_queries(4):
        response = client.get("/allocations/")
    assert response.status_code == 200
    html = response.content.decode()
    assert all(f"/allocations/{a.pk}/" in html for a in allocations)
    assert html.count('class="bar"') == 4


def test_detail_shows_budget_and_dates(applicant, operator, factory):
    allocation = granted(applicant, operator, factory, hours=250)
    response = client_for(applicant).get(f"/allocations/{allocation.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "250" in html
    assert f"/proposals/{allocation.proposal_id}/" in html
    assert "Final report due on" in html


def test_other_organisations_allocation_is_404(applicant, operator, factory):
    allocation = granted(testing.make_user(), operator, factory)
    client = client_for(applicant)
    assert client.get(f"/allocations/{allocation.pk}/").status_code == 404
    assert client.get("/allocations/999999/").status_code == 404


def test_operator_sees_any_allocation(operator, factory):
    allocation = granted(testing.make_user(), operator, factory)
    assert client_for(operator).get(f"/allocations/{allocation.pk}/").status_code == 200


def test_pages_need_login(applicant, operator, factory):
    allocation = granted(applicant, operator, factory)
    for path in ("/allocations/", f"/allocations/{allocation.pk}/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_file_final_report(applicant, operator, factory):
    allocation = granted(applicant, operator, factory)
    client = client_for(applicant)
    short = client.post(f"/allocations/{allocation.pk}/final-report/", {"report": "Done."})
    assert short.status_code == 400
    report = "We fine-tuned the model and published the weights; see our paper."
    response = client.post(f"/allocations/{allocation.pk}/final-report/", {"report": report})
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.final_report == report
    assert allocation.final_report_submitted_at is not None


def test_operator_cannot_file_report_for_organisation(operator, factory):
    allocation = granted(testing.make_user(), operator, factory)
    response = client_for(operator).post(
        f"/allocations/{allocation.pk}/final-report/",
        {"report": "An operator writing a report for someone else."},
    )
    assert response.status_code == 403
