"""Proposal attachments in storage: each organisation's upload quota, and no orphaned files.

An organisation's usage is the size of the files its proposals point to now (a replaced file is
deleted once the replacement is committed, so it stops counting), plus the files other apps
register (`register_upload_usage`: the expertise desk's message attachments). The quota is
`ANTENNA_ORG_UPLOAD_QUOTA_BYTES` (default 200 MB); an upload that would go over it is refused
with `QuotaExceeded` (413) before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from antenna.core.errors import QuotaExceeded
from antenna.organizations.models import Organization
from antenna.proposals.models import Proposal

log = logging.getLogger("antenna.proposals")


# Other apps' files that count against the same quota (expertise message attachments):
# registered in their AppConfig.ready(), since this app cannot import them.
UsageCounter = Callable[[int], int]
_OTHER_USAGE: dict[str, UsageCounter] = {}


def register_upload_usage(name: str, counter: UsageCounter) -> None:
    """`counter(organization_id)` gives the bytes another app stores for the organisation."""
    _OTHER_USAGE[name] = counter


def stored_bytes(rows: Iterable[Any], field: str) -> int:
    """Sum of the sizes of the files `rows` point to in their FileField `field` (a file
    missing from storage counts 0)."""
    total = 0
    for row in rows:
        try:
            total += getattr(row, field).size
        except OSError:
            continue
    return total


def organization_upload_usage(organization_id: int, *, excluding: int | None = None) -> int:
    """Bytes of the attachments an organisation's proposals point to (optionally not counting
    one proposal's, the one being replaced), plus the other apps' registered files. A file
    missing from storage counts 0."""
    total = sum(counter(organization_id) for counter in _OTHER_USAGE.values())
    proposals = (Proposal.objects.filter(organization_id=organization_id)
                 .exclude(attachment="").only("attachment"))
    if excluding is not None:
        proposals = proposals.exclude(pk=excluding)
    return total + stored_bytes(proposals, "attachment")


def upload_quota_check(organization: Organization, size: int, *,
                       excluding: int | None = None) -> None:
    """Lock the organisation (two uploads cannot both pass) and refuse with `QuotaExceeded`
    (413) an upload of `size` bytes that would take it over its quota. Runs inside the
    caller's transaction, before anything is written."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    quota = int(settings.ANTENNA_ORG_UPLOAD_QUOTA_BYTES)
    used = organization_upload_usage(organization.pk, excluding=excluding)
    if used + size > quota:
        raise QuotaExceeded(
            _("Upload refused: %(org)s uses %(used)s of its %(quota)s upload quota and this "
              "file is %(size)s. Remove or replace attachments of other proposals, or "
              "ask the operators for a larger quota.")
            % {"org": organization.legal_name, "used": filesizeformat(used),
               "quota": filesizeformat(quota), "size": filesizeformat(size)}
        )


def attachment_put(proposal: Proposal, attachment: UploadedFile) -> None:
    """Store `attachment` as the (locked, draft) proposal's file, within the caller's
    transaction: the organisation is locked so that two uploads cannot both pass the quota;
    the quota is checked before anything is written; the replaced file is deleted from
    storage once the transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("attachment_put runs inside the service's transaction")
    upload_quota_check(proposal.organization, attachment.size or 0, excluding=proposal.pk)
    old = proposal.attachment.name if proposal.attachment else ""
    storage = proposal.attachment.storage
    proposal.attachment.save(attachment.name or "attachment.pdf", attachment, save=False)
    if old and old != proposal.attachment.name:
        transaction.on_commit(lambda: _delete(storage, old))


def _delete(storage: object, name: str) -> None:
    try:
        storage.delete(name)  # type: ignore[attr-defined]
    except OSError as exc:  # the row no longer points to it: log, never fail the request
        log.warning("could not delete the replaced attachment %s: %s", name, exc)
