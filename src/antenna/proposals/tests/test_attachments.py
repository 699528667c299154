"""Proposal attachments in storage: a replaced file is deleted; each organisation's quota."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template.defaultfilters import filesizeformat

from antenna.proposals.attachments import organization_upload_usage
from antenna.proposals.models import Proposal
from antenna.testing import PDF_BYTES, assert_error, make_proposal

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit deletions really run


def _files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_replaced_attachment_is_deleted_from_storage(world, api, settings):
    client = api(world.owner)
    url = f"/proposals/{world.draft.pk}/attachment"
    assert client.upload(url, PDF_BYTES + b"first", name="first.pdf").status_code == 200
    [first] = _files(settings)
    assert client.upload(url, PDF_BYTES + b"second", name="second.pdf").status_code == 200
    [second] = _files(settings)
    assert not first.exists() and second.read_bytes() == PDF_BYTES + b"second"
    assert Proposal.objects.get(pk=world.draft.pk).attachment.name.endswith(second.name)


def test_the_upload_quota_refuses_with_quota_and_usage_and_writes_nothing(world, api,
                                                                           settings):
    settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES = 2 * len(PDF_BYTES) + 150
    client = api(world.owner)
    other = make_proposal(world.owner, world.draft.call, world.draft.organization)
    assert client.upload(f"/proposals/{other.pk}/attachment",
                         PDF_BYTES + b"x" * 100).status_code == 200
    before = _files(settings)
    response = client.upload(f"/proposals/{world.draft.pk}/attachment", PDF_BYTES + b"y" * 100)
    body = assert_error(response, 413, "upload quota")
    assert body["code"] == "quota_exceeded" and body["retryable"] is False
    quota = filesizeformat(settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES)
    used, size = filesizeformat(len(PDF_BYTES) + 100), filesizeformat(len(PDF_BYTES) + 100)
    assert f"uses {used} of its {quota} upload quota and this file is {size}" in body["detail"]
    assert _files(settings) == before  # nothing half-written
    assert not Proposal.objects.get(pk=world.draft.pk).attachment
    # Replacing the organisation's own file counts only the new one: it fits.
    assert client.upload(f"/proposals/{other.pk}/attachment",
                         PDF_BYTES + b"z" * 120).status_code == 200
    assert organization_upload_usage(other.organization_id) == len(PDF_BYTES) + 120


def test_the_quota_message_names_quota_and_usage(world, api, settings):
    settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES = 3_000_000
    other = make_proposal(world.owner, world.draft.call, world.draft.organization)
    big = PDF_BYTES + b"x" * 2_000_000
    assert api(world.owner).upload(f"/proposals/{other.pk}/attachment", big).status_code == 200
    response = api(world.owner).upload(f"/proposals/{world.draft.pk}/attachment", big)
    detail = assert_error(response, 413, "quota")["detail"]
    assert "uses 1.9\xa0MB of its 2.9\xa0MB upload quota" in detail
    assert "this file is 1.9\xa0MB" in detail
