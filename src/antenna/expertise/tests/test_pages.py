"""The expertise desk's pages, the notice list, and overdue requests on the console."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from antenna.expertise.models import ExpertiseRequest
from antenna.testing import make_expert, make_operator, make_org, make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_member_files_a_request_expert_answers_and_resolves_on_the_pages():
    owner, outsider = make_user(), make_user()
    org = make_org(owner)
    expert = make_expert(skills=["fine_tuning"])
    response = _client(owner).post("/expertise/new/", {
        "organization": org.pk, "topic": "fine_tuning", "language": "nl",
        "title": "LoRA op LUMI", "description": "Hoe beginnen we?"})
    r = ExpertiseRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/expertise/{r.pk}/"
    assert r.expert == expert
    page = _client(owner).get(f"/expertise/{r.pk}/")
    assert page.status_code == 200 and "LoRA op LUMI" in page.content.decode()
    assert _client(outsider).get(f"/expertise/{r.pk}/").status_code == 404
    expert_client = _client(expert)
    assert "LoRA op LUMI" in expert_client.get("/expertise/queue/").content.decode()
    expert_client.post(f"/expertise/{r.pk}/messages/", {"body": "Begin met PEFT."})
    expert_client.post(f"/expertise/{r.pk}/resolve/")
    _client(owner).post(f"/expertise/{r.pk}/rating/", {"satisfaction": "5"})
    r.refresh_from_db()
    assert (r.state, r.satisfaction) == ("closed", 5)
    notices = _client(owner).get("/notices/").content.decode()
    assert "New message on expertise request" in notices
    assert f"Expertise request #{r.pk} resolved" in notices


def test_queue_is_for_experts_only():
    assert _client(make_user()).get("/expertise/queue/").status_code == 403


def test_overdue_requests_are_on_the_console_and_the_queue():
    owner = make_user()
    org = make_org(owner)
    expert = make_expert(skills=["ai_act"])
    _client(owner).post("/expertise/new/", {
        "organization": org.pk, "topic": "ai_act", "language": "en",
        "title": "High-risk system?", "description": "Are we high-risk under the AI Act?"})
    console = _client(make_operator()).get("/console/").content.decode()
    assert "High-risk system?" not in console
    ExpertiseRequest.objects.update(first_response_due=timezone.now() - dt.timedelta(days=1))
    console = _client(make_operator()).get("/console/").content.decode()
    assert "Expertise requests overdue" in console and "High-risk system?" in console
    assert "overdue" in _client(expert).get("/expertise/queue/").content.decode()
