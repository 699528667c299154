"""Files on expertise messages (size limit, the organisation's quota, downloads only for those
who see the request) and the "waiting for the requester" state (set by the expert, left when
the requester answers)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from antenna.expertise.models import ExpertiseMessage
from antenna.expertise.services import expertise_request_create
from antenna.notifications.models import Notice, NoticeKind
from antenna.testing import ApiClient, add_member, assert_error, make_expert, make_org, make_user

pytestmark = pytest.mark.django_db

LOG = b"Traceback (most recent call last):\n  hipErrorNoBinaryForGpu\n"


@pytest.fixture
def desk():
    owner, member, outsider = make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org, member, by=owner)
    make_org(outsider)
    expert = make_expert(skills=["porting"])
    r = expertise_request_create(organization=org, topic="porting", title="ROCm build fails",
                                 description="See the log.", by=member)
    assert r.expert == expert
    return {"owner": owner, "member": member, "outsider": outsider, "expert": expert, "r": r}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(user, pk, content=LOG, name="build.log", body="Here is the log."):
    api = ApiClient(user)
    return api.client.post(f"/api/v1/expertise-requests/{pk}/attachments",
                           {"file": SimpleUploadedFile(name, content), "body": body},
                           headers=api.headers)


def test_a_file_on_a_message_is_downloaded_only_by_those_who_see_the_request(desk):
    r = desk["r"]
    response = _upload(desk["member"], r.pk)
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["body"] == "Here is the log." and sent["attachment"] == "build.log"
    url = sent["attachment_url"]
    assert url == f"/expertise/{r.pk}/messages/{sent['id']}/attachment/"
    detail = ApiClient(desk["expert"]).get(f"/expertise-requests/{r.pk}").json()
    assert detail["messages"][-1]["attachment"] == "build.log"

    for who in ("expert", "owner"):
        download = _client(desk[who]).get(url)
        assert download.status_code == 200
        assert download.getvalue() == LOG
        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Disposition"].startswith("attachment")
    assert _client(desk["outsider"]).get(url).status_code == 404
    assert _upload(desk["outsider"], r.pk).status_code == 404
    page = _client(desk["expert"]).get(f"/expertise/{r.pk}/").content.decode()
    assert url in page and "build.log" in page
    # the page form takes a file too, with or without text
    _client(desk["expert"]).post(f"/expertise/{r.pk}/messages/", {
        "body": "", "attachment": SimpleUploadedFile("fix.patch", b"--- a\n+++ b\n")})
    assert ExpertiseMessage.objects.filter(request=r).exclude(attachment="").count() == 2


def test_attachments_keep_to_the_size_limit_and_the_organisations_quota(desk, settings):
    r = desk["r"]
    settings.ANTENNA_MAX_ATTACHMENT_BYTES = 100
    assert_error(_upload(desk["member"], r.pk, content=b"x" * 101), 400, "limit")
    settings.ANTENNA_MAX_ATTACHMENT_BYTES = 10_000
    settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES = 150
    assert _upload(desk["member"], r.pk, content=b"x" * 100).status_code == 201
    # the expert's upload counts against the requesting organisation's quota too
    assert_error(_upload(desk["expert"], r.pk, content=b"y" * 60), 413, "quota")
    assert ExpertiseMessage.objects.filter(request=r).count() == 1


def test_the_expert_waits_for_the_requester_who_answers(desk):
    r, expert, member = desk["r"], desk["expert"], desk["member"]
    assert_error(ApiClient(member).post(f"/expertise-requests/{r.pk}/wait"), 403)
    waiting = ApiClient(expert).post(f"/expertise-requests/{r.pk}/wait")
    assert waiting.status_code == 200 and waiting.json()["state"] == "waiting_for_requester"
    assert Notice.objects.filter(user=r.requester, kind=NoticeKind.EXPERTISE_MESSAGE,
                                 subject__contains="waits for your answer").exists()
    # waiting twice is not a move
    assert_error(ApiClient(expert).post(f"/expertise-requests/{r.pk}/wait"), 409)
    ApiClient(member).post(f"/expertise-requests/{r.pk}/messages", {"body": "Done, see log."})
    assert ApiClient(member).get(f"/expertise-requests/{r.pk}").json()["state"] == "in_progress"


def test_the_wait_button_on_the_request_page(desk):
    r, expert = desk["r"], desk["expert"]
    page = _client(expert).get(f"/expertise/{r.pk}/").content.decode()
    assert f"/expertise/{r.pk}/wait/" in page
    assert f"/expertise/{r.pk}/wait/" not in _client(desk["member"]).get(
        f"/expertise/{r.pk}/").content.decode()
    assert _client(expert).post(f"/expertise/{r.pk}/wait/").status_code == 302
    r.refresh_from_db()
    assert r.state == "waiting_for_requester"
    assert f"/expertise/{r.pk}/wait/" not in _client(expert).get(
        f"/expertise/{r.pk}/").content.decode()


def test_expertise_files_count_against_proposal_uploads_too(desk, settings):
    from antenna.testing import PDF_BYTES, make_call, make_proposal

    r = desk["r"]
    assert _upload(desk["member"], r.pk, content=b"x" * 100).status_code == 201
    draft = make_proposal(desk["owner"], make_call("ai_for_science"), r.organization)
    settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES = 100 + len(PDF_BYTES) - 1
    assert_error(ApiClient(desk["owner"]).upload(f"/proposals/{draft.pk}/attachment"), 413,
                 "quota")
    settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES = 100 + len(PDF_BYTES)
    assert ApiClient(desk["owner"]).upload(f"/proposals/{draft.pk}/attachment").status_code == 200
