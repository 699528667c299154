"""Files attached to expertise messages: the same rules as proposal attachments
(`proposals.attachments`) where they make sense.

- at most ANTENNA_MAX_ATTACHMENT_BYTES per file;
- they count against the requesting organisation's upload quota
  (ANTENNA_ORG_UPLOAD_QUOTA_BYTES), together with its proposals' attachments (registered with
  `proposals.attachments.register_upload_usage`, so proposal uploads count them too); an upload over
  it is refused (`QuotaExceeded`, 413) before anything is written, with the organisation
  locked so that two uploads cannot both pass;
- any file type (logs, scripts, screenshots, PDFs), since they are only ever served as a
  download (`Content-Disposition: attachment`, `application/octet-stream`) to the people who
  see the request.
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from antenna.core.errors import ValidationFailed
from antenna.expertise.models import ExpertiseMessage
from antenna.organizations.models import Organization
from antenna.proposals.attachments import stored_bytes, upload_quota_check


def expertise_upload_usage(organization_id: int) -> int:
    """Bytes of the files attached to an organisation's expertise requests (missing: 0)."""
    return stored_bytes(ExpertiseMessage.objects.filter(request__organization_id=organization_id)
                        .exclude(attachment="").only("attachment"), "attachment")


def check_attachment(attachment: UploadedFile) -> None:
    limit = int(settings.ANTENNA_MAX_ATTACHMENT_BYTES)
    if attachment.size is not None and attachment.size > limit:
        raise ValidationFailed(
            _("The attachment is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(attachment.size / 1e6, 1), "limit": round(limit / 1e6, 1)})
    if not PurePath(attachment.name or "").name.strip():
        raise ValidationFailed(_("The attachment needs a file name."))


def message_attachment_put(message: ExpertiseMessage, attachment: UploadedFile,
                           organization: Organization) -> None:
    """Store `attachment` on the new `message`, within the caller's transaction, if
    `organization` stays within its upload quota."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("message_attachment_put runs inside the service's transaction")
    check_attachment(attachment)
    # counts expertise files too (registered in apps.py)
    upload_quota_check(organization, attachment.size or 0)
    name = PurePath(attachment.name or "attachment").name[:100]
    message.attachment.save(name, attachment, save=False)
    message.save(update_fields=["attachment"])
