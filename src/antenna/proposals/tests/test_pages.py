"""Proposal pages: the form, submission, operator actions, reviewer queue and review form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.proposals.models import Proposal, Review
from antenna.proposals.services import proposal_assign_reviewer, proposal_submit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(org, **overrides):
    data = {
        "organization": org.pk, "title": "First steps", "abstract": "Fine-tune a small model.",
        "requested_gpu_hours": 1000, "duration_months": 2, "gpus_per_job": 4,
        "storage_tb": "1", "openness": "open", "civilian_use": "on", "factory": "",
    }
    data.update(overrides)
    return data


def test_playground_proposal_via_pages_is_accepted_with_allocation(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    client = client_for(applicant)
    response = client.post("/organisations/new/", {
        "legal_name": "Deep Startup", "kind": "startup", "country": "BE", "region": "brussels",
        "sector": "other", "enterprise_number": testing.enterprise_number(7_654_321),
    })
    assert response.status_code == 302
    org = applicant.memberships.get().organization
    assert client.get(f"/calls/{call.pk}/apply/").status_code == 200
    pdf = SimpleUploadedFile("plan.pdf", testing.PDF_BYTES, content_type="application/pdf")
    response = client.post(f"/calls/{call.pk}/apply/", {**form_data(org), "attachment": pdf})
    assert response.status_code == 302, response.content.decode()
    proposal = Proposal.objects.get()
    assert proposal.state == "draft"
    assert proposal.attachment
    detail = client.get(f"/proposals/{proposal.pk}/")
    assert detail.status_code == 200
    response = client.post(f"/proposals/{proposal.pk}/submit/")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == "accepted"
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.gpu_hours_granted == 1000
    html = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert f"/allocations/{allocation.pk}/" in html
    assert "Submitted" in html


def test_not_eligible_submission_shows_rule_with_409(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org, civilian_use=False)
    response = client_for(applicant).post(f"/proposals/{proposal.pk}/submit/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "civilian_use" in html
    assert "not eligible" in html
    proposal.refresh_from_db()
    assert proposal.state == "draft"


def test_invalid_form_is_400_and_creates_nothing(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    response = client_for(applicant).post(f"/calls/{call.pk}/apply/",
                                          form_data(org, requested_gpu_hours="lots"))
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_non_pdf_attachment_is_refused(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    fake = SimpleUploadedFile("plan.pdf", b"not a pdf", content_type="application/pdf")
    response = client_for(applicant).post(f"/calls/{call.pk}/apply/",
                                          {**form_data(org), "attachment": fake})
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not Proposal.objects.exists()


def test_edit_draft(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org)
    client = client_for(applicant)
    assert client.get(f"/proposals/{proposal.pk}/edit/").status_code == 200
    data = form_data(org, title="Better title")
    del data["organization"]
    assert client.post(f"/proposals/{proposal.pk}/edit/", data).status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Better title"


def test_other_organisations_proposal_is_404(applicant, operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    proposal = testing.make_proposal(owner, call, testing.make_org(owner))
    client = client_for(applicant)
    assert client.get(f"/proposals/{proposal.pk}/").status_code == 404
    assert client.get("/proposals/999999/").status_code == 404
    assert client.post(f"/proposals/{proposal.pk}/submit/").status_code == 404


def test_pages_need_login(operator, factory):
    for path in ("/proposals/", "/proposals/1/", "/reviews/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_operator_actions_forbidden_to_applicants(applicant, operator, factory):
    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org)
    proposal_submit(proposal=proposal, by=applicant)
    client = client_for(applicant)
    response = client.post(f"/proposals/{proposal.pk}/decide/",
                           {"decide-decision": "accept", "decide-factory": ""})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == "technical_review"


def test_operator_decides_via_page(applicant, operator, factory):
    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org, requested_gpu_hours=800)
    proposal_submit(proposal=proposal, by=applicant)
    client = client_for(operator)
    page = client.get(f"/proposals/{proposal.pk}/")
    assert page.status_code == 200
    assert 'id="decision"' in page.content.decode()
    too_many = client.post(f"/proposals/{proposal.pk}/decide/", {
        "decide-decision": "accept", "decide-gpu_hours": 5000, "decide-factory": "",
    })
    assert too_many.status_code == 409
    assert "at most the requested" in too_many.content.decode()
    response = client.post(f"/proposals/{proposal.pk}/decide/", {
        "decide-decision": "accept", "decide-gpu_hours": 600, "decide-factory": "pooled",
        "decide-comment": "Good plan.",
    })
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == "accepted"
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.gpu_hours_granted == 600
    assert allocation.factory is None


def test_operator_records_assessment_via_page(applicant, operator, factory):
    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org)
    proposal_submit(proposal=proposal, by=applicant)
    response = client_for(operator).post(f"/proposals/{proposal.pk}/assess/", {
        "assess-feasible": "yes", "assess-factory": str(factory.pk),
        "assess-comment": "Runs fine.",
    })
    assert response.status_code == 302
    assert proposal.technical_assessment.feasible


def _peer_reviewed(applicant, operator, factory):
    call = testing.make_call("ai_for_science", factories=[factory], by=operator)
    org = testing.make_org(applicant)
    proposal = testing.make_proposal(applicant, call, org)
    proposal_submit(proposal=proposal, by=applicant)
    return call, proposal


def test_operator_assigns_reviewers_via_page(applicant, operator, factory):
    _, proposal = _peer_reviewed(applicant, operator, factory)
    first = testing.make_reviewer()
    testing.make_reviewer()
    client = client_for(operator)
    response = client.post(f"/proposals/{proposal.pk}/assign/",
                           {"assign-reviewer": first.username})
    assert response.status_code == 302
    response = client.post(f"/proposals/{proposal.pk}/auto-assign/")
    assert response.status_code == 302
    assert proposal.review_assignments.count() == 2
    proposal.refresh_from_db()
    assert proposal.state == "peer_review"


def test_reviewer_reviews_via_page(applicant, operator, reviewer, factory,
                                   django_assert_max_num_queries):
    call, proposal = _peer_reviewed(applicant, operator, factory)
    proposal_assign_reviewer(proposal=proposal, reviewer=reviewer, by=operator)
    client = client_for(reviewer)
    with django_assert_max_num_queries(6):
        queue = client.get("/reviews/")
    assert proposal.title in queue.content.decode()
    form = client.get(f"/proposals/{proposal.pk}/review/")
    assert form.status_code == 200
    assert proposal.abstract in form.content.decode()
    data: dict[str, object] = {f"criterion_{name}": 4 for name in call.review_criteria}
    data.update({"score": 4, "recommendation": "accept", "comment": "Solid."})
    without_declaration = client.post(f"/proposals/{proposal.pk}/review/", data)
    assert without_declaration.status_code == 400
    assert not Review.objects.exists()
    response = client.post(f"/proposals/{proposal.pk}/review/", {**data, "no_conflict": "on"})
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.score == 4
    assert review.scores == dict.fromkeys(call.review_criteria, 4)
    assert proposal.title not in client.get("/reviews/").content.decode()


def test_review_form_forbidden_to_unassigned_reviewer(applicant, operator, reviewer, factory):
    _, proposal = _peer_reviewed(applicant, operator, factory)
    assigned = testing.make_reviewer()
    proposal_assign_reviewer(proposal=proposal, reviewer=assigned, by=operator)
    assert client_for(reviewer).get(f"/proposals/{proposal.pk}/review/").status_code == 404
    assert client_for(operator).get(f"/proposals/{proposal.pk}/review/").status_code == 403


def test_review_queue_only_for_reviewers(applicant):
    assert client_for(applicant).get("/reviews/").status_code == 403


def test_proposal_list_bounded_queries(applicant, operator, factory,
                                       django_assert_max_num_queries):
    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    for _ in range(4):
        org = testing.make_org(applicant)
        proposal_submit(proposal=testing.make_proposal(applicant, call, org), by=applicant)
    client = client_for(applicant)
    with django_assert_max_num_queries(5):
        response = client.get("/proposals/")
    assert response.status_code == 200
    assert response.content.decode().count("/proposals/") >= 4
