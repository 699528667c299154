"""Notices e-mailed by the worker to a real SMTP server process (aiosmtpd) on loopback: never
during the request, retried with back-off while the server is down, and sent once."""

from __future__ import annotations

import datetime as dt
import mailbox
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from antenna.notifications.models import EmailState, Notice, NoticeKind
from antenna.notifications.outbox import outbox_send
from antenna.notifications.periodic import notifications_step
from antenna.notifications.services import notice_send, notification_preferences_set
from antenna.proposals.services import proposal_submit
from antenna.testing import (
    ApiClient,
    add_member,
    make_call,
    make_operator,
    make_org,
    make_proposal,
    make_user,
)

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """aiosmtpd in its own process on a fixed loopback port, storing mail in a maildir; it can
    be stopped and started again on the same port."""

    def __init__(self, maildir: Path) -> None:
        self.port = _free_port()
        self.maildir = maildir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError("aiosmtpd did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def messages(self) -> list[mailbox.MaildirMessage]:
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(str(self.maildir), create=False))

    def wait_for(self, count: int) -> list[mailbox.MaildirMessage]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            messages = self.messages()
            if len(messages) >= count:
                return messages
            time.sleep(0.1)
        raise AssertionError(f"expected {count} message(s) at the SMTP server, "
                             f"got {len(self.messages())}")


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "maildir")
    server.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=server.port,
                               EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_TIMEOUT=5,
                               DEFAULT_FROM_EMAIL="Antenna <desk@antenna.test>",
                               ANTENNA_SITE_URL="https://antenna.test"):
            yield server
    finally:
        server.stop()


def _subject(message: mailbox.MaildirMessage) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _submitted(owner, operator):
    org = make_org(owner)
    proposal = proposal_submit(
        proposal=make_proposal(owner, make_call("fast_lane", by=operator), org), by=owner)
    return org, proposal


def test_a_decision_is_e_mailed_by_the_worker_not_by_the_request(smtp, monkeypatch):
    operator, owner, member = make_operator(), make_user(), make_user()
    member.preferred_language = "fr"
    member.save(update_fields=["preferred_language"])
    org, proposal = _submitted(owner, operator)
    add_member(org, member, by=owner)
    notifications_step()  # the "submitted" notices go out first
    before = len(smtp.wait_for(2))

    response = ApiClient(operator).post(f"/proposals/{proposal.pk}/decision",
                                        {"decision": "reject", "comment": "Too early."})
    assert response.status_code == 200, response.content
    time.sleep(0.5)
    assert len(smtp.messages()) == before, "the request itself sent an e-mail"
    decided = Notice.objects.filter(kind=NoticeKind.PROPOSAL_DECIDED)
    assert {n.email_state for n in decided} == {EmailState.PENDING}

    # the worker command itself (its connection clean-up would close the test's database)
    monkeypatch.setattr("antenna.jobs.management.commands.worker.close_old_connections",
                        lambda: None)
    call_command("worker", "--once")
    messages = smtp.wait_for(before + 2)
    by_recipient = {m["To"]: m for m in messages if "accept" in _subject(m)}
    assert set(by_recipient) == {owner.email, member.email}
    assert _subject(by_recipient[owner.email]) == f"Proposal not accepted: {proposal.title}"
    assert _subject(by_recipient[member.email]) == f"Proposition non acceptée : {proposal.title}"
    assert by_recipient[owner.email]["From"] == "Antenna <desk@antenna.test>"
    assert f"https://antenna.test/proposals/{proposal.pk}/" in \
        by_recipient[owner.email].get_payload(decode=True).decode()
    assert {n.email_state for n in decided.all()} == {EmailState.SENT}
    assert all(n.emailed_at is not None and n.email_attempts == 1 for n in decided.all())

    # a second worker step sends nothing again
    report = notifications_step()
    assert report.outbox is not None and report.outbox.sent == 0
    time.sleep(0.5)
    assert len(smtp.messages()) == before + 2


def test_a_stopped_server_is_retried_with_back_off_and_sent_exactly_once(smtp):
    operator, owner = make_operator(), make_user()
    notification_preferences_set(user=operator, choices={"proposal_submitted": "off"})
    _org, proposal = _submitted(owner, operator)
    notice = Notice.objects.get(user=owner, kind=NoticeKind.PROPOSAL_SUBMITTED)
    assert notice.email_state == EmailState.PENDING
    now = timezone.now()

    smtp.stop()
    report = outbox_send(now=now)
    assert (report.sent, report.retried) == (0, 1)
    notice.refresh_from_db()
    assert notice.email_state == EmailState.PENDING and notice.email_attempts == 1
    assert notice.next_attempt_at == now + dt.timedelta(minutes=1)
    assert notice.last_error and notice.emailed_at is None

    smtp.start()
    # not before its back-off is over
    assert outbox_send(now=now + dt.timedelta(seconds=30)).sent == 0
    smtp.stop()
    report = outbox_send(now=now + dt.timedelta(minutes=2))  # still down: 2nd attempt
    notice.refresh_from_db()
    assert report.retried == 1 and notice.email_attempts == 2
    assert notice.next_attempt_at == now + dt.timedelta(minutes=2) + dt.timedelta(minutes=2)

    smtp.start()
    assert outbox_send(now=now + dt.timedelta(minutes=5)).sent == 1
    assert [_subject(m) for m in smtp.wait_for(1)] == [f"Proposal submitted: {proposal.title}"]
    notice.refresh_from_db()
    assert notice.email_state == EmailState.SENT and notice.email_attempts == 3
    for later in (10, 60, 600):
        assert outbox_send(now=now + dt.timedelta(minutes=later)).sent == 0
    time.sleep(0.5)
    assert len(smtp.messages()) == 1


def test_after_the_last_attempt_the_notice_is_failed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = \
        "127.0.0.1", _free_port(), 2
    settings.ANTENNA_EMAIL_MAX_ATTEMPTS = 2
    user = make_user()
    [notice] = notice_send(users=[user], kind=NoticeKind.EVENT_PROMOTED, subject="A place",
                           body="You are in.")
    now = timezone.now()
    assert outbox_send(now=now).retried == 1
    assert outbox_send(now=now + dt.timedelta(hours=1)).failed == 1
    notice.refresh_from_db()
    assert notice.email_state == EmailState.FAILED and notice.next_attempt_at is None
    assert outbox_send(now=now + dt.timedelta(days=1)).retried == 0


def test_a_digest_gathers_a_persons_notices_in_one_e_mail(smtp):
    user = make_user()
    notification_preferences_set(user=user, choices={"event_registered": "digest",
                                                     "event_promoted": "digest"})
    first, = notice_send(users=[user], kind=NoticeKind.EVENT_REGISTERED,
                         subject="On the waiting list: GPU course", body="Full for now.",
                         link="/events/")
    notice_send(users=[user], kind=NoticeKind.EVENT_PROMOTED,
                subject="You have a place at GPU course", body="A place freed up.")
    slot = first.next_attempt_at
    assert slot is not None and slot > timezone.now()
    assert timezone.localtime(slot).hour == 7
    assert outbox_send(now=slot - dt.timedelta(minutes=1)).sent == 0
    report = outbox_send(now=slot)
    assert (report.sent, report.notices) == (1, 2)
    [message] = smtp.wait_for(1)
    assert _subject(message) == "Your Antenna digest: 2 notices"
    text = message.get_payload(decode=True).decode()
    assert "GPU course" in text and "A place freed up." in text
    assert "https://antenna.test/events/" in text


def test_two_workers_never_claim_the_same_notice():
    from antenna.notifications.outbox import _claim

    [notice] = notice_send(users=[make_user()], kind=NoticeKind.EVENT_PROMOTED,
                           subject="A place", body="You are in.")
    now = timezone.now()
    first = _claim([notice.pk], now)
    assert [n.pk for n in first] == [notice.pk]
    assert _claim([notice.pk], now) == []  # the second worker gets nothing
    # a claim whose worker died is released after its lease
    assert outbox_send(now=now + dt.timedelta(minutes=5)).sent == 0
    notice.refresh_from_db()
    assert notice.email_state == EmailState.SENDING
    assert outbox_send(now=now + dt.timedelta(minutes=11)).sent == 1
    notice.refresh_from_db()
    assert notice.email_state == EmailState.SENT
