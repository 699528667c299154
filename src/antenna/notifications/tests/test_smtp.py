"""Notices e-mailed to a real SMTP server process (aiosmtpd) on loopback."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.test import override_settings

from antenna.notifications.models import Notice
from antenna.notifications.services import notice_email
from antenna.proposals.services import proposal_decide, proposal_submit
from antenna.testing import add_member, make_call, make_operator, make_org, make_proposal, make_user

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(tmp_path: Path):
    """aiosmtpd in its own process, storing what it receives in a maildir."""
    port = _free_port()
    maildir = tmp_path / "maildir"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("aiosmtpd did not start") from None
            time.sleep(0.1)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                               EMAIL_USE_SSL=False, EMAIL_TIMEOUT=5,
                               DEFAULT_FROM_EMAIL="Antenna <desk@antenna.test>"):
            yield maildir
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _received(maildir: Path, count: int) -> list:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if maildir.exists():
            messages = list(mailbox.Maildir(str(maildir), create=False))
            if len(messages) >= count:
                return messages
        time.sleep(0.1)
    raise AssertionError(f"expected {count} message(s) at the SMTP server")


def test_a_decision_is_e_mailed_through_a_real_smtp_server(smtp_server,
                                                           django_capture_on_commit_callbacks):
    operator, owner = make_operator(), make_user()
    member = make_user()
    member.preferred_language = "en"
    member.save(update_fields=["preferred_language"])
    org = make_org(owner)
    add_member(org, member, by=owner)
    proposal = proposal_submit(
        proposal=make_proposal(owner, make_call("fast_lane", by=operator), org), by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_decide(proposal=proposal, by=operator, decision="reject", comment="Too early.")
    messages = _received(smtp_server, 2)
    by_recipient = {m["To"]: m for m in messages}
    assert set(by_recipient) == {owner.email, member.email}
    subject = str(make_header(decode_header(by_recipient[owner.email]["Subject"])))
    assert subject == f"Proposal not accepted: {proposal.title}"
    assert by_recipient[owner.email]["From"] == "Antenna <desk@antenna.test>"
    assert Notice.objects.filter(emailed_at__isnull=False).count() == 2
    # never sent twice
    notice = Notice.objects.filter(user=owner).first()
    assert notice is not None and notice_email(notice_id=notice.pk) is False
    assert len(_received(smtp_server, 2)) == 2


def test_an_unreachable_mail_server_does_not_fail_the_decision(
        django_capture_on_commit_callbacks):
    operator, owner = make_operator(), make_user()
    org = make_org(owner)
    proposal = proposal_submit(
        proposal=make_proposal(owner, make_call("fast_lane", by=operator), org), by=owner)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=_free_port(), EMAIL_TIMEOUT=2), \
            django_capture_on_commit_callbacks(execute=True):
        proposal_decide(proposal=proposal, by=operator, decision="reject")
    proposal.refresh_from_db()
    assert proposal.state == "rejected"
    notice = Notice.objects.get(user=owner)
    assert notice.emailed_at is None and "not accepted" in notice.subject
