"""The admin shows decisions, reviews and assessments but never writes them."""

from __future__ import annotations

import pytest

from antenna.accounts.models import User
from antenna.proposals.models import Decision, Review, TechnicalAssessment
from antenna.proposals.services import proposal_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    User.objects.filter(pk=world.operator.pk).update(is_staff=True, is_superuser=True)
    client.force_login(world.operator)
    return client


@pytest.mark.parametrize("model", [Decision, Review, TechnicalAssessment])
def test_decisions_reviews_and_assessments_are_read_only(admin_client, world, model):
    proposal_review(proposal=world.in_peer_review, by=world.reviewer, recommendation="accept",
                    score=4)
    row = model.objects.first()
    assert row is not None
    base = f"/admin/proposals/{model._meta.model_name}"
    assert admin_client.get(f"{base}/").status_code == 200
    page = admin_client.get(f"{base}/{row.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # a view page, no form to submit
    assert admin_client.get(f"{base}/add/").status_code == 403
    assert admin_client.post(f"{base}/{row.pk}/change/", {}).status_code == 403
    assert admin_client.post(f"{base}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
