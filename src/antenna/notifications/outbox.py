"""The e-mail outbox, sent by the worker (`antenna worker`), never by a request.

Each step takes the notices whose e-mail is due (`email_state` pending, `next_attempt_at`
passed), one group at a time: a notice alone when the person wants it immediately, all of a
person's due digest notices together as one digest e-mail. A group is claimed with a
conditional update (pending → sending, with a claim token and a lease), so two workers never
send the same notice; it is marked sent once the mail server took it. A failure puts the
group back to pending with an exponential back-off (1 min, 2, 4, ... at most 6 h) and stops
the step (the server is likely down); after ANTENNA_EMAIL_MAX_ATTEMPTS it is `failed`.

A worker killed between the server's acceptance and the commit of "sent" leaves the group
`sending`; once its lease (10 minutes) is over the group is pending again and may be sent a
second time: the only case of a duplicate, and the price of never losing a notice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from antenna.notifications.models import Delivery, EmailState, Notice
from antenna.notifications.services import language_of

log = logging.getLogger("antenna.notifications")

LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class OutboxReport:
    sent: int = 0  # e-mails the server took
    notices: int = 0  # notices they carried
    retried: int = 0  # notices put back with a back-off
    failed: int = 0  # notices given up


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: 1 minute, doubled each time, at most 6 hours."""
    return min(dt.timedelta(minutes=1) * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _absolute(link: str) -> str:
    if link.startswith("/"):
        return settings.ANTENNA_SITE_URL.rstrip("/") + link
    return link


def _message(notices: list[Notice]) -> EmailMessage:
    user = notices[0].user
    if len(notices) == 1 and notices[0].delivery != Delivery.DIGEST:
        n = notices[0]
        body = n.body + (f"\n\n{_absolute(n.link)}" if n.link else "")
        subject = n.subject
    else:
        with translation.override(language_of(user)):
            subject = ngettext("Your Antenna digest: %(n)d notice",
                               "Your Antenna digest: %(n)d notices",
                               len(notices)) % {"n": len(notices)}
            parts = []
            for n in sorted(notices, key=lambda n: (n.created_at, n.pk)):
                text = f"* {n.subject}\n\n{n.body}"
                if n.link:
                    text += f"\n{_absolute(n.link)}"
                parts.append(text)
            footer = _("Choose what you are told, and how, on %(url)s") % {
                "url": _absolute("/notices/preferences/")}
            body = "\n\n".join(parts) + "\n\n-- \n" + footer
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def _claim(pks: list[int], now: dt.datetime) -> list[Notice]:
    token = uuid.uuid4().hex
    claimed = Notice.objects.filter(pk__in=pks, email_state=EmailState.PENDING).update(
        email_state=EmailState.SENDING, claim=token, claimed_until=now + LEASE)
    if not claimed:
        return []
    return list(Notice.objects.filter(claim=token, email_state=EmailState.SENDING)
                .select_related("user"))


def _failed(notices: list[Notice], now: dt.datetime, error: str) -> tuple[int, int]:
    retried = failed = 0
    limit = int(settings.ANTENNA_EMAIL_MAX_ATTEMPTS)
    for n in notices:
        attempts = n.email_attempts + 1
        give_up = attempts >= limit
        Notice.objects.filter(pk=n.pk, claim=n.claim, email_state=EmailState.SENDING).update(
            email_state=EmailState.FAILED if give_up else EmailState.PENDING,
            email_attempts=attempts, claim="", claimed_until=None, last_error=error[:300],
            next_attempt_at=None if give_up else now + backoff(attempts))
        failed += give_up
        retried += not give_up
    return retried, failed


def outbox_send(*, now: dt.datetime | None = None, limit: int = 50) -> OutboxReport:
    """Send the e-mails due at `now`: at most `limit` groups; stops at the first failure."""
    now = now or timezone.now()
    report = OutboxReport()
    # Claims whose worker died: pending again (see the module docstring).
    Notice.objects.filter(email_state=EmailState.SENDING, claimed_until__lt=now).update(
        email_state=EmailState.PENDING, claim="", claimed_until=None)
    due = list(Notice.objects.filter(email_state=EmailState.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk")
               .values_list("pk", "user_id", "delivery")[: limit * 4])
    groups: list[list[int]] = []
    digest_users: set[int] = set()
    for pk, user_id, delivery in due:
        if delivery != Delivery.DIGEST:
            groups.append([pk])
        elif user_id not in digest_users:
            digest_users.add(user_id)
            groups.append(list(Notice.objects.filter(
                Q(user_id=user_id, delivery=Delivery.DIGEST, email_state=EmailState.PENDING,
                  next_attempt_at__lte=now)).values_list("pk", flat=True)))
    if not groups:
        return report
    connection = get_connection()
    try:
        for pks in groups[:limit]:
            notices = _claim(pks, now)
            if not notices:
                continue  # another worker has them
            try:
                connection.send_messages([_message(notices)])
            except (smtplib.SMTPException, OSError) as exc:  # smtplib errors are OSErrors too
                log.warning("e-mail to %s not sent (notices %s): %s", notices[0].user.email,
                            [n.pk for n in notices], exc)
                retried, failed = _failed(notices, now, str(exc) or type(exc).__name__)
                report.retried += retried
                report.failed += failed
                break
            marked = Notice.objects.filter(
                pk__in=[n.pk for n in notices], claim=notices[0].claim,
                email_state=EmailState.SENDING,
            ).update(email_state=EmailState.SENT, emailed_at=timezone.now(), claim="",
                     claimed_until=None, last_error="", email_attempts=F("email_attempts") + 1)
            report.sent += 1
            report.notices += marked
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return report
