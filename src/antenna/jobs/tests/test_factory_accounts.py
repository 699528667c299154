"""Each allocation an account at its factories (jobs/slurm_accounts.py), against an in-memory
scheduler that keeps accounts: what the worker writes, member and site-account changes,
drift, usage outside the gateway charged once, the pages. The real clusters are in
test_accounts_slurm.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.test import Client
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import (
    Allocation,
    ExternalUsage,
    FactoryAccount,
    LedgerEntry,
    LedgerKind,
)
from antenna.allocations.models import hours as hours_of
from antenna.allocations.selectors import allocations_over_grant, ledger_balances
from antenna.allocations.services import allocation_close, allocation_suspend
from antenna.connectors.base import (
    AccountJob,
    AccountSpec,
    AccountState,
    Capability,
)
from antenna.connectors.registry import connector_kinds, register_connector
from antenna.core.models import AuditEvent
from antenna.factories.models import Factory, IdentityMode
from antenna.factories.services import site_account_link, site_account_verify
from antenna.jobs import dispatch
from antenna.jobs.slurm_accounts import account_for, gpu_minutes
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


class Books(testing.NullConnector):
    """A scheduler holding accounts in memory (class-level: one per test, reset below)."""

    capabilities = frozenset({Capability.ACCOUNTS})
    held: ClassVar[dict[int, AccountState]] = {}
    jobs: ClassVar[list[AccountJob]] = []
    writes: ClassVar[list[str]] = []

    def account_name(self, allocation_id: int) -> str:
        return f"ant{allocation_id}"

    def _accounts(self) -> dict[int, AccountState]:
        return dict(self.held)

    def _account_ensure(self, spec: AccountSpec) -> None:
        self.writes.append(f"ensure {spec.allocation_id}")
        self.held[spec.allocation_id] = AccountState(spec.allocation_id,
                                                     self.account_name(spec.allocation_id),
                                                     spec.gpu_minutes, spec.held, ())

    def _account_set_limits(self, spec: AccountSpec) -> None:
        self.writes.append(f"limits {spec.allocation_id}")
        old = self.held[spec.allocation_id]
        self.held[spec.allocation_id] = AccountState(old.allocation_id, old.name,
                                                     spec.gpu_minutes, spec.held, old.users)

    def _users(self, allocation_id: int, users: tuple[str, ...]) -> None:
        old = self.held[allocation_id]
        self.held[allocation_id] = AccountState(old.allocation_id, old.name, old.gpu_minutes,
                                                old.held, tuple(sorted(users)))

    def _association_add(self, allocation_id: int, user: str) -> None:
        self.writes.append(f"add {user}")
        self._users(allocation_id, (*self.held[allocation_id].users, user))

    def _association_remove(self, allocation_id: int, user: str) -> None:
        self.writes.append(f"remove {user}")
        self._users(allocation_id, tuple(u for u in self.held[allocation_id].users
                                         if u != user))

    def _account_jobs_since(self, since: dt.datetime) -> list[AccountJob]:
        return [j for j in self.jobs if j.finished_at is None or j.finished_at >= since]



@pytest.fixture
def site() -> dict[str, Any]:
    connector_kinds()  # the built-in connectors first
    register_connector("books", Books)
    Books.held, Books.jobs, Books.writes = {}, [], []
    factory = testing.make_factory("books", factor=Decimal("2"))
    Factory.objects.filter(pk=factory.pk).update(connector="books",
                                                 identity_mode=IdentityMode.PER_USER,
                                                 connector_settings={"user": "svc"})
    factory.refresh_from_db()
    operator = testing.make_operator()
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    return {"factory": factory, "operator": operator, "owner": owner, "org": org,
            "allocation": Allocation.objects.get(proposal=proposal)}


def _verified(user: Any, factory: Factory, username: str, operator: Any) -> None:
    linked = site_account_link(user=user, factory=factory, username=username, by=user)
    site_account_verify(site_account=linked, by=operator)


def test_grant_makes_the_account_and_members_changes_propagate(site):
    factory, allocation = site["factory"], site["allocation"]
    dispatch.run_cycle()
    expected = allocation.granted_gpu_seconds // 2 // 60  # factor 2
    assert gpu_minutes(allocation, factory) == expected
    held = Books.held[allocation.pk]
    assert (held.gpu_minutes, held.held, held.users) == (expected, False, ())
    account = FactoryAccount.objects.get(allocation=allocation)
    assert account.slurm_name == f"ant{allocation.pk}" and account.state == "active"
    assert account_for(allocation.pk, factory) == f"ant{allocation.pk}"

    # A verified site account of a member is associated; an unverified one is not.
    _verified(site["owner"], factory, "amartin", site["operator"])
    member = testing.make_user()
    testing.add_member(site["org"], member)
    site_account_link(user=member, factory=factory, username="bpeeters", by=member)
    dispatch.run_cycle()
    assert Books.held[allocation.pk].users == ("amartin",)
    writes = len(Books.writes)
    dispatch.run_cycle()
    assert len(Books.writes) == writes  # idempotent
    assert FactoryAccount.objects.get(pk=account.pk).users == ["amartin"]

    # Drift: a user added by hand is removed, a limit changed by hand is put back.
    Books.held[allocation.pk] = AccountState(allocation.pk, f"ant{allocation.pk}", 5, False,
                                             ("amartin", "intruder"))
    dispatch.run_cycle()
    assert Books.held[allocation.pk] == AccountState(allocation.pk, f"ant{allocation.pk}",
                                                     expected, False, ("amartin",))
    messages = list(AuditEvent.objects.filter(action="allocation.factory_account")
                    .values_list("message", flat=True))
    assert any("removed intruder" in m and "GrpTRESMins=gres/gpu=5" in m for m in messages)

    # Suspend holds the account; close removes every association.
    allocation_suspend(allocation=allocation, by=site["operator"])
    dispatch.run_cycle()
    assert Books.held[allocation.pk].held
    assert account_for(allocation.pk, factory) == ""  # not active: no job goes under it
    allocation_close(allocation=allocation, by=site["operator"])
    dispatch.run_cycle()
    assert Books.held[allocation.pk].users == ()
    assert FactoryAccount.objects.get(pk=account.pk).state == "removed"


def test_community_factory_associates_the_service_account(site):
    Factory.objects.filter(pk=site["factory"].pk).update(identity_mode=IdentityMode.COMMUNITY)
    dispatch.run_cycle()
    assert Books.held[site["allocation"].pk].users == ("svc",)


def test_a_local_factory_keeps_no_account():
    factory = testing.make_factory()
    call = testing.make_call("playground", factories=[factory])
    owner = testing.make_user()
    proposal_submit(proposal=testing.make_proposal(owner, call, testing.make_org(owner),
                                                   factory=factory), by=owner)
    dispatch.run_cycle()
    assert not FactoryAccount.objects.exists()


def test_external_usage_is_charged_once_and_over_the_grant_is_flagged(site):
    allocation = site["allocation"]
    dispatch.run_cycle()
    now = timezone.now()
    Books.jobs = [AccountJob("501", allocation.pk, "amartin", 2, 600, now),
                  AccountJob("502", allocation.pk + 1000, "other", 1, 60, now)]  # not ours
    dispatch.run_cycle()
    dispatch.run_cycle()
    usage = ExternalUsage.objects.get()
    assert (usage.scheduler_job_id, usage.site_user, usage.gpu_seconds) == ("501", "amartin",
                                                                           2 * 600 * 2)
    entry = LedgerEntry.objects.get(kind=LedgerKind.EXTERNAL)
    assert entry.reference == "ext:books:501" and entry.used_delta == 2400
    allocation.refresh_from_db()
    assert allocation.used_gpu_seconds == 2400 and ledger_balances(allocation)
    assert allocations_over_grant() == []

    # A job that uses more than is left: the ledger takes what is left, the rest is flagged.
    left = allocation.remaining_gpu_seconds
    Books.jobs.append(AccountJob("503", allocation.pk, "amartin", 4, left, now))
    dispatch.run_cycle()
    allocation.refresh_from_db()
    assert allocation.remaining_gpu_seconds == 0 and ledger_balances(allocation)
    over = ExternalUsage.objects.get(scheduler_job_id="503")
    assert over.overrun_gpu_seconds == 4 * left * 2 - left
    [(flagged, hours)] = allocations_over_grant()
    assert flagged.pk == allocation.pk and hours == hours_of(over.overrun_gpu_seconds)

    client = Client()
    client.force_login(site["operator"])
    console = client.get("/console/").content.decode()
    assert "Allocations used past their grant" in console
    client.force_login(site["owner"])
    page = client.get(f"/allocations/{allocation.pk}/").content.decode()
    assert f"ant{allocation.pk}" in page and "Usage outside the gateway" in page
    assert "503" in page and "over the grant" in page


def test_accounts_are_read_when_antenna_changed_or_the_recheck_is_due(site, settings):
    """Two requests per factory (accounts, associations) only when needed: a change in
    Antenna (here a suspension) at the next cycle, drift at the factory every recheck."""
    from antenna.jobs import slurm_accounts

    settings.ANTENNA_ACCOUNTS_RECHECK_SECONDS = 3600
    slurm_accounts._LAST_COMPARED.clear()
    reads: list[int] = []
    original = Books._accounts
    def counted(self: Books) -> dict[int, AccountState]:
        reads.append(1)
        return original(self)

    Books._accounts = counted  # type: ignore[method-assign]
    try:
        dispatch.run_cycle()
        dispatch.run_cycle()
        assert len(reads) == 1  # nothing changed: not read again before the recheck
        Books.held[site["allocation"].pk] = AccountState(
            site["allocation"].pk, f"ant{site['allocation'].pk}", 5, False, ())
        dispatch.run_cycle()
        assert len(reads) == 1 and Books.held[site["allocation"].pk].gpu_minutes == 5
        allocation_suspend(allocation=site["allocation"], by=site["operator"])
        dispatch.run_cycle()
        assert len(reads) == 2 and Books.held[site["allocation"].pk].held
        assert Books.held[site["allocation"].pk].gpu_minutes == gpu_minutes(
            site["allocation"], site["factory"])  # the drift is repaired with it
        settings.ANTENNA_ACCOUNTS_RECHECK_SECONDS = 0
        dispatch.run_cycle()
        assert len(reads) == 3
    finally:
        Books._accounts = original  # type: ignore[method-assign]
        slurm_accounts._LAST_COMPARED.clear()
