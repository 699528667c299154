"""Telling people things: `notice_send` stores a notice in the person's list, in their
language, and queues its e-mail in the outbox as they chose for that kind (off, immediately,
or in their digest). The worker sends the outbox (`notifications.outbox`); a request never
talks to the mail server.

Notices found by the worker's periodic step pass `target` and `occasion`: the database keeps
one notice per (user, kind, object, occasion), so running the step again creates nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.errors import ValidationFailed
from antenna.notifications.models import (
    Delivery,
    DigestFrequency,
    DigestSetting,
    EmailState,
    Notice,
    NoticeKind,
    NotificationPreference,
)
from antenna.notifications.selectors import deliveries_for

log = logging.getLogger(__name__)


def language_of(user: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in codes else \
        settings.LANGUAGE_CODE


def _render(text: str | Promise, params: Mapping[str, Any]) -> str:
    return str(text) % params if params else str(text)


def next_digest_at(frequency: str, now: dt.datetime) -> dt.datetime:
    """When a digest notice created at `now` goes out: the next ANTENNA_DIGEST_HOUR (local
    time), on a Monday for weekly digests."""
    local = timezone.localtime(now)
    slot = local.replace(hour=int(settings.ANTENNA_DIGEST_HOUR), minute=0, second=0,
                         microsecond=0)
    if slot <= local:
        slot += dt.timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        slot += dt.timedelta(days=(7 - slot.weekday()) % 7)
    return slot


def target_key(target: models.Model | None) -> tuple[str, int | None]:
    if target is None:
        return "", None
    return target._meta.label_lower, target.pk


def notice_send(*, users: Iterable[User], kind: str, subject: str | Promise,
                body: str | Promise, params: Mapping[str, Any] | None = None, link: str = "",
                by: User | None = None, target: models.Model | None = None,
                occasion: str = "") -> list[Notice]:
    """Store one notice per active user, rendered in their language, and queue its e-mail as
    they chose for `kind`. `subject` and `body` are lazy translatable templates filled with
    `params`. With an `occasion`, a user who already has this (kind, target, occasion) notice
    gets no second one. Returns the notices created."""
    if kind not in NoticeKind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    people = {u.pk: u for u in users if u.is_active}
    if not people:
        return []
    target_type, target_id = target_key(target)
    now = timezone.now()
    choices = deliveries_for(people.values(), kind)
    notices: list[Notice] = []
    with transaction.atomic():
        for user in people.values():
            delivery, frequency = choices[user.pk]
            if delivery == Delivery.OFF or not user.email:
                state, when = EmailState.NONE, None
            elif delivery == Delivery.DIGEST:
                state, when = EmailState.PENDING, next_digest_at(frequency, now)
            else:
                state, when = EmailState.PENDING, now
            with translation.override(language_of(user)):
                notice = Notice(
                    user=user, kind=kind, subject=_render(subject, params or {})[:200],
                    body=_render(body, params or {}), link=link, target_type=target_type,
                    target_id=target_id, occasion=occasion, created_at=now,
                    delivery=delivery, email_state=state, next_attempt_at=when)
            if occasion:
                try:
                    with transaction.atomic():
                        notice.save()
                except IntegrityError:  # already told on this occasion
                    continue
            else:
                notice.save()
            audit_record(action="notice.send", target=notice, by=by,
                         after={"kind": kind, "user": user.username, "delivery": delivery})
            notices.append(notice)
    return notices


def notification_preferences_set(*, user: User, choices: Mapping[str, str],
                                 digest: str | None = None) -> None:
    """Record `user`'s choice per kind (kinds not named keep theirs) and, optionally, their
    digest frequency. Pending digest e-mails move to the new digest slot."""
    for kind, delivery in choices.items():
        if kind not in NoticeKind.values:
            raise ValidationFailed(_("kind: %(k)s is not a kind of notice.") % {"k": kind})
        if delivery not in Delivery.values:
            raise ValidationFailed(_("delivery: choose off, immediate or digest."))
    if digest is not None and digest not in DigestFrequency.values:
        raise ValidationFailed(_("digest: choose daily or weekly."))
    with transaction.atomic():
        for kind, delivery in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery})
        if digest is not None:
            DigestSetting.objects.update_or_create(user=user, defaults={"frequency": digest})
            Notice.objects.filter(user=user, delivery=Delivery.DIGEST,
                                  email_state=EmailState.PENDING).update(
                next_attempt_at=next_digest_at(digest, timezone.now()))
        audit_record(action="notice.preferences", target=user, by=user,
                     after={"choices": dict(choices), "digest": digest})


def notice_mark_read(*, user: User) -> int:
    """Mark every unread notice of `user` read; how many were."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
