"""Telling people things: `notice_send` stores a notice and, once the transaction commits,
e-mails it through Django's mail (SMTP from ANTENNA_EMAIL_URL; the console in the demo).

Texts are rendered in the recipient's language. A mail server that refuses or cannot be
reached never fails the action that caused the notice: the notice stays in the portal list,
without `emailed_at`, and the failure is logged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.notifications.models import Notice

log = logging.getLogger(__name__)


def _language_of(user: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in codes else \
        settings.LANGUAGE_CODE


def _render(text: str | Promise, params: Mapping[str, Any]) -> str:
    return str(text) % params if params else str(text)


def notice_send(*, users: Iterable[User], kind: str, subject: str | Promise,
                body: str | Promise, params: Mapping[str, Any] | None = None, link: str = "",
                by: User | None = None) -> list[Notice]:
    """Store one notice per user (each rendered in their language) and e-mail each after
    the current transaction commits. `subject` and `body` are lazy translatable templates
    filled with `params`."""
    notices: list[Notice] = []
    seen: set[int] = set()
    with transaction.atomic():
        for user in users:
            if user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            with translation.override(_language_of(user)):
                notice = Notice.objects.create(
                    user=user, kind=kind, subject=_render(subject, params or {})[:200],
                    body=_render(body, params or {}), link=link,
                )
            audit_record(action="notice.send", target=notice, by=by,
                         after={"kind": kind, "user": user.username})
            notices.append(notice)
            transaction.on_commit(functools.partial(notice_email, notice_id=notice.pk))
    return notices


def notice_email(*, notice_id: int) -> bool:
    """E-mail one notice unless already e-mailed; True when the mail server took it."""
    notice = Notice.objects.select_related("user").filter(pk=notice_id).first()
    if notice is None or notice.emailed_at is not None or not notice.user.email:
        return False
    body = notice.body
    if notice.link:
        body = f"{body}\n\n{notice.link}"
    try:
        send_mail(notice.subject, body, settings.DEFAULT_FROM_EMAIL, [notice.user.email])
    except (OSError, ConnectionError) as exc:  # smtplib errors are OSErrors
        log.warning("notice %s not e-mailed to %s: %s", notice.pk, notice.user.email, exc)
        return False
    Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now())
    return True


def notice_mark_read(*, user: User) -> int:
    """Mark every unread notice of `user` read; how many were."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
