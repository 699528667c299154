"""Home for each role, the operator console and the observers' overview."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.states import JobState
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_newcomer_is_told_to_register_an_organisation(world):
    html = client_for(world.newcomer).get("/").content.decode()
    assert "What to do next" in html
    assert "Register your organisation" in html and "/triage/" in html


def test_applicant_home_has_timeline_deadline_budget_burndown_jobs(world):
    html = client_for(world.owner).get("/").content.decode()
    assert "What to do next" in html
    assert 'class="steps' in html and 'aria-current="step"' in html  # proposal timeline
    assert "Decision target:" in html
    assert 'class="bar"' in html
    assert f'id="burndown-{world.allocation.pk}"' in html
    assert f'id="burndown-{world.allocation.pk}-data"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "cdn" not in html.lower()
    assert "The burn-down as a table" in html
    assert world.job.name in html and f"/jobs/{world.job.pk}/" in html
    assert "Check and submit it" in html  # the draft
    marker = f'id="burndown-{world.allocation.pk}-data" type="application/json">'
    data = html.split(marker)[1].split("</script>")[0]
    chart = json.loads(data)
    assert set(chart) == {"labels", "remaining", "reserved", "used", "pace"}


def test_other_organisations_are_not_on_my_home(world):
    html = client_for(world.outsider).get("/").content.decode()
    assert world.allocation.proposal.title not in html
    assert f"burndown-{world.allocation.pk}" not in html


def test_allocation_without_jobs_suggests_a_template(applicant, operator):
    sandbox = testing.make_factory("sandbox")
    call = testing.make_call("playground", factories=[sandbox], by=operator)
    org = testing.make_org(applicant)
    proposal_submit(proposal=testing.make_proposal(applicant, call, org), by=applicant)
    allocation = Allocation.objects.get(organization=org)
    html = client_for(applicant).get("/").content.decode()
    assert "Submit your first job" in html
    assert f"/allocations/{allocation.pk}/jobs/templates/" in html


def test_ended_allocation_asks_for_the_final_report(world):
    Allocation.objects.filter(pk=world.allocation.pk).update(
        starts_on=timezone.localdate() - dt.timedelta(days=100),
        ends_on=timezone.localdate() - dt.timedelta(days=5))
    html = client_for(world.owner).get("/").content.decode()
    assert "File your final report" in html


def test_home_query_count_is_pinned(applicant, operator, django_assert_max_num_queries):
    factory = testing.make_factory()
    org = testing.make_org(applicant)
    for _ in range(6):
        call = testing.make_call("playground", factories=[factory], by=operator)
        proposal_submit(proposal=testing.make_proposal(applicant, call, org), by=applicant)
    client = client_for(applicant)
    with django_assert_max_num_queries(16):
        assert client.get("/").status_code == 200


def test_console_shows_factory_queues_and_allocations_to_watch(world,
                                                               django_assert_max_num_queries):
    Factory.objects.filter(pk=world.factory.pk).update(last_error="connection refused")
    Job.objects.filter(pk=world.job.pk).update(state=JobState.RUNNING, factory=world.factory,
                                               gpus=3)
    today = timezone.localdate()
    Allocation.objects.filter(pk=world.allocation.pk).update(
        starts_on=today - dt.timedelta(days=60), ends_on=today + dt.timedelta(days=10))
    client = client_for(world.operator)
    with django_assert_max_num_queries(12):
        response = client.get("/console/")
    html = response.content.decode()
    assert "Factories and their queues" in html and "connection refused" in html
    marker = f'<th scope="row">{world.factory.display_name}</th>'
    row = html.split(marker)[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row and "3 / " in row  # one running, 3 GPUs busy
    ending = html.split("Ending within 30 days")[1].split("Under-used")[0]
    under = html.split("Under-used (cut candidates)")[1].split("Recent activity")[0]
    assert world.accepted.title in ending and world.accepted.title in under
    queue = html.split("Waiting for a decision")[1].split("Factories and their queues")[0]
    assert world.under_review.title in queue


def test_console_refuses_other_roles(world):
    for role in ("owner", "observer", "reviewer"):
        assert client_for(world.user(role)).get("/console/").status_code == 403


def test_overview_counts_and_chart(world, django_assert_max_num_queries):
    client = client_for(world.observer)
    # 9 for the counts and the page, 9 for the indicators (reports.pages.overview_kpis)
    with django_assert_max_num_queries(18):
        response = client.get("/overview/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Organisations by kind and region" in html
    assert "Proposals per access mode and state" in html
    assert 'data-chart="factory-hours"' in html and 'id="factory-hours-data"' in html
    marker = 'id="factory-hours-data" type="application/json">'
    chart = json.loads(html.split(marker)[1].split("</script>")[0])
    assert world.factory.display_name in chart["labels"]
    i = chart["labels"].index(world.factory.display_name)
    assert chart["requested"][i] == 0  # proposals of make_world have no preferred factory
    assert chart["awarded"][i] == float(world.allocation.gpu_hours_granted)
    startup_row = html.split("<th scope=\"row\">Startup</th>")[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in startup_row  # two startups, both in Flanders


def test_overview_shows_applicants_only_their_indicators(world):
    """No antenna-wide counts for an owner or a reviewer: only the indicators, scoped."""
    for user in (world.owner, world.reviewer):
        html = client_for(user).get("/overview/").content.decode()
        assert "Your organisations in numbers" in html
        assert "Organisations by kind and region" not in html
        assert 'id="factory-hours-data"' not in html


def test_reviewer_queue_and_form_side_by_side(world):
    client = client_for(world.reviewer)
    queue = client.get("/reviews/").content.decode()
    assert world.in_peer_review.title in queue
    form = client.get(f"/proposals/{world.in_peer_review.pk}/review/").content.decode()
    assert 'class="split"' in form and "no conflict of interest" in form
    assert client_for(world.reviewer2).get(
        f"/proposals/{world.in_peer_review.pk}/review/").status_code == 404
