"""Each allocation a Slurm account, on the REAL clusters: `current` (Slurm 24.11, v0.0.42)
and `jupiter` (Slurm 22.05, v0.0.38) (issue #10 parts 4 and 5).

Every test uses its own account prefix and connector instance, so its accounts and jobs are
its own on clusters other tests share. The 24.11 cluster enforces association limits
(`AccountingStorageEnforce=associations,limits,safe`, as the factories): a suspended
allocation's account holds new jobs back. The 22.05 clusters do not enforce them; there the
tests check what slurmdbd holds.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from antenna import testing
from antenna.allocations.models import (
    Allocation,
    ExternalUsage,
    FactoryAccount,
    LedgerEntry,
    LedgerKind,
)
from antenna.allocations.services import allocation_close, allocation_resume, allocation_suspend
from antenna.core.models import AuditEvent
from antenna.factories.services import factory_register, site_account_link, site_account_verify
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.slurm_accounts import gpu_minutes
from antenna.jobs.tests import test_slurm24_integration as s24
from antenna.proposals.services import proposal_submit
from antenna.testing import read_cluster_env

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]

SLURM22_ENV = Path("/tmp/antenna-slurm/env")


def _rest(url: str, token_file: str, method: str, path: str,
          body: dict[str, Any] | None = None, user: str = "root") -> dict[str, Any]:
    request = urllib.request.Request(url + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
    request.add_header("X-SLURM-USER-NAME", user)
    request.add_header("X-SLURM-USER-TOKEN",
                       Path(token_file).read_text().strip().removeprefix("SLURM_JWT="))
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        result = json.loads(exc.read() or b"{}")
    return result


@pytest.fixture(scope="module")
def current_env() -> dict[str, str]:
    if not s24.ENV_FILE.exists():
        pytest.skip(f"Slurm 24.11 test cluster not started ({s24.ENV_FILE} missing)")
    env = read_cluster_env(s24.ENV_FILE)
    try:
        status, body = s24._call(env, "/slurm/v0.0.42/ping")
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {exc}")
    if status != 200 or body["pings"][0].get("pinged") != "UP":
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {body.get('errors')}")
    return env


_MADE: list[dict[str, Any]] = []  # each test's sites, whose accounts are deleted after it


@pytest.fixture(autouse=True)
def _delete_the_accounts() -> Any:
    """Whatever a test leaves (even failing): its accounts and their associations go."""
    yield
    while _MADE:
        site = _MADE.pop()
        for assoc in _associations(site):
            if assoc.get("user"):
                _rest(site["url"], site["token"], "DELETE",
                      f"/slurmdb/{site['version']}/association?account={site['name']}"
                      f"&cluster={assoc['cluster']}&user={assoc['user']}")
        with contextlib.suppress(ValueError):  # already gone: answered without JSON
            _rest(site["url"], site["token"], "DELETE",
                  f"/slurmdb/{site['version']}/account/{site['name']}")


def _site(env: dict[str, str], key: str, partition: str, *, identity: str,
          version: str) -> dict[str, Any]:
    """A slurmrest factory keeping accounts (root's token), an allocation and its owner."""
    instance = f"t{uuid.uuid4().hex[:10]}"
    prefix = f"a{uuid.uuid4().hex[:8]}x"
    workdir = Path(env["ANTENNA_SLURM_WORK_DIR"]) / instance
    workdir.mkdir(mode=0o1777)
    workdir.chmod(0o1777)
    operator = testing.make_operator()
    per_user = identity == "per_user"
    settings = {
        "url": env[f"ANTENNA_SLURM_{key}_URL"],
        "user": "root" if per_user else env[f"ANTENNA_SLURM_{key}_USER"],
        "token_file": env[f"ANTENNA_SLURM_{key}_ROOT_TOKEN_FILE"],
        "workdir": str(workdir), "partition": partition, "timeout": 30, "instance": instance,
        "accounts": True, "account_prefix": prefix, "api_version": version,
    }
    if not per_user:  # jobs run as the service account; the accounts are written as root
        settings["accounts_user"] = "root"
    factory = factory_register(
        name=key.lower(), connector="slurmrest", display_name=key.title(),
        identity_mode=identity, connector_settings=settings,
        partition={"name": partition, "gpu_model": "h100", "gpus_per_node": 4,
                   "total_nodes": 1, "max_nodes_per_job": 1, "max_walltime_minutes": 120,
                   "is_default": True},
        gpu_hour_factor="1.5", by=operator)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner, legal_name="Ghent Speech Lab")
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    site = {"factory": factory, "allocation": allocation, "owner": owner, "operator": operator,
            "name": f"{prefix}{allocation.pk}", "prefix": prefix, "instance": instance,
            "url": settings["url"], "token": env[f"ANTENNA_SLURM_{key}_ROOT_TOKEN_FILE"],
            "client": testing.ApiClient(owner), "version": version}
    _MADE.append(site)
    return site


def _associations(site: dict[str, Any]) -> list[dict[str, Any]]:
    body = _rest(site["url"], site["token"], "GET",
                 f"/slurmdb/{site['version']}/associations?account={site['name']}")
    return list(body.get("associations") or [])


def _account_limits(site: dict[str, Any]) -> tuple[int | None, Any, list[str]]:
    """(GrpTRESMins gres/gpu, GrpJobs, users) of the account as slurmdbd holds it."""
    assocs = _associations(site)
    own = next(a for a in assocs if not a.get("user"))
    minutes = next((t["count"] for t in own["max"]["tres"]["group"]["minutes"]
                    if t["type"] == "gres" and t["name"] == "gpu"), None)
    return minutes, own["max"]["jobs"]["active"], sorted(a["user"] for a in assocs
                                                         if a.get("user"))


def _sbatch_as_antsite(env: dict[str, str], account: str, name: str) -> str:
    """A job submitted directly, outside Antenna: sbatch as the site user in the chroot."""
    out = subprocess.run(
        ["chroot", env["ANTENNA_SLURM_CHROOT"], "env",
         f"SLURM_CONF={env['ANTENNA_SLURM_CURRENT_CONF']}", "su", "antsite", "-s", "/bin/bash",
         "-c", f"cd /tmp && sbatch --parsable -A {account} -J {name} -p gpu --gres=gpu:1 "
               "-t 2 -o /dev/null --wrap 'sleep 2'"],
        capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip().split(";")[0]


def _enforces_limits(env: dict[str, str]) -> bool:
    """Whether slurmctld enforces association limits (AccountingStorageEnforce)."""
    out = subprocess.run(
        ["chroot", env["ANTENNA_SLURM_CHROOT"], "env",
         f"SLURM_CONF={env['ANTENNA_SLURM_CURRENT_CONF']}", "scontrol", "show", "config"],
        capture_output=True, text=True, timeout=60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("AccountingStorageEnforce"))
    return "limits" in line


def _db_job(site: dict[str, Any], job_id: str) -> dict[str, Any] | None:
    body = _rest(site["url"], site["token"], "GET", f"/slurmdb/{site['version']}/job/{job_id}")
    jobs = body.get("jobs") or []
    return jobs[-1] if jobs else None


def _wait_ended(site: dict[str, Any], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        record = _db_job(site, job_id)
        if record and record["state"]["current"][0] in ("COMPLETED", "FAILED", "CANCELLED") \
                and record.get("partition"):
            return record
        assert time.monotonic() < deadline, record
        time.sleep(1)


def test_per_user_account_on_slurm_24_11(current_env):
    site = _site(current_env, "CURRENT", "gpu", identity="per_user", version="v0.0.42")
    factory, allocation, owner = site["factory"], site["allocation"], site["owner"]
    linked = site_account_link(user=owner, factory=factory, username="antsite", by=owner)
    site_account_verify(site_account=linked, by=site["operator"])

    # On grant (next cycle): the account with its GPU-minute limit and the member's association.
    dispatch.run_cycle()
    expected = gpu_minutes(allocation, factory)
    assert expected == allocation.granted_gpu_seconds // 60 * 2 // 3  # factor 1.5
    assert _account_limits(site) == (expected, {"set": False, "infinite": True, "number": 0},
                                     ["antsite"])
    account = FactoryAccount.objects.get(allocation=allocation, factory=factory)
    assert (account.slurm_name, account.state, account.users) == (site["name"], "active",
                                                                   ["antsite"])
    assert account.last_sync_at is not None and account.last_error == ""

    # Idempotent: a second cycle changes nothing (no new audit event).
    events = AuditEvent.objects.filter(action="allocation.factory_account").count()
    dispatch.run_cycle()
    assert AuditEvent.objects.filter(action="allocation.factory_account").count() == events

    # A job through Antenna runs as the site user under the allocation's account.
    response = site["client"].post("/jobs", {
        "allocation": allocation.pk, "name": "acct", "script": "#!/bin/bash\nsleep 1\n",
        "gpus": 1, "walltime_minutes": 5, "factory": factory.pk})
    assert response.status_code == 201, response.content
    deadline = time.monotonic() + 90
    while not Job.objects.filter(pk=response.json()["id"], settled_at__isnull=False).exists():
        assert time.monotonic() < deadline
        dispatch.run_cycle()
        time.sleep(0.5)
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "completed", job.state_reason
    record = _db_job(site, job.scheduler_job_id)
    assert record and record["user"] == "antsite" and record["account"] == site["name"]
    assert not ExternalUsage.objects.filter(scheduler_job_id=job.scheduler_job_id).exists()

    # A job submitted directly under the account is charged once, within two cycles of its
    # record in accounting.
    direct = _sbatch_as_antsite(current_env, site["name"], f"direct-{site['instance']}")
    ended = _wait_ended(site, direct)
    cycles = 0
    while not ExternalUsage.objects.filter(factory=factory, scheduler_job_id=direct).exists():
        assert cycles < 2, "not charged within two cycles"
        dispatch.run_cycle()
        cycles += 1
    usage = ExternalUsage.objects.get(factory=factory, scheduler_job_id=direct)
    assert usage.site_user == "antsite" and usage.gpus == 1
    assert usage.elapsed_seconds == ended["time"]["elapsed"]
    assert usage.gpu_seconds == usage.charged_gpu_seconds == -(-usage.elapsed_seconds * 3 // 2)
    dispatch.run_cycle()
    dispatch.run_cycle()
    entries = LedgerEntry.objects.filter(kind=LedgerKind.EXTERNAL,
                                         reference=f"ext:current:{direct}")
    assert entries.count() == 1 and entries.get().used_delta == usage.gpu_seconds
    print(f"external job {direct} charged after {cycles} cycle(s)")

    # Suspend: GrpJobs=0 (nothing new starts where limits are enforced); resume restores it.
    allocation_suspend(allocation=allocation, by=site["operator"], reason="test")
    dispatch.run_cycle()
    assert _account_limits(site) == (expected, {"set": True, "infinite": False, "number": 0},
                                     ["antsite"])
    assert FactoryAccount.objects.get(pk=account.pk).state == "suspended"
    # The 24.11 testbed enforces association limits, as the factories do: a job submitted
    # there directly now waits (AssocGrpJobsLimit) instead of starting.
    assert _enforces_limits(current_env), "testbeds/slurm24 must set AccountingStorageEnforce"
    held = _sbatch_as_antsite(current_env, site["name"], f"held-{site['instance']}")
    time.sleep(3)
    live = _rest(site["url"], site["token"], "GET", f"/slurm/v0.0.42/job/{held}")
    assert live["jobs"][0]["job_state"] == ["PENDING"], live["jobs"][0]["job_state"]
    # GrpJobs=0 on the account: Slurm names it on the user's association (measured on 24.11.5)
    assert live["jobs"][0]["state_reason"] in ("AssocGrpJobsLimit", "AssocMaxJobsLimit")
    _rest(site["url"], site["token"], "DELETE", f"/slurm/v0.0.42/job/{held}")
    allocation_resume(allocation=allocation, by=site["operator"])
    dispatch.run_cycle()
    assert _account_limits(site)[1] == {"set": False, "infinite": True, "number": 0}

    # Drift: a limit changed by hand is put back; an account deleted by hand is made again.
    _rest(site["url"], site["token"], "POST", "/slurmdb/v0.0.42/associations", {
        "associations": [{"account": site["name"], "cluster": "current", "user": "",
                          "max": {"tres": {"group": {"minutes": [
                              {"type": "gres", "name": "gpu", "count": 7}]}}}}]})
    assert _account_limits(site)[0] == 7
    dispatch.run_cycle()
    assert _account_limits(site)[0] == expected
    _rest(site["url"], site["token"], "DELETE",
          f"/slurmdb/v0.0.42/association?account={site['name']}&user=antsite&cluster=current")
    _rest(site["url"], site["token"], "DELETE", f"/slurmdb/v0.0.42/account/{site['name']}")
    assert _associations(site) == []
    dispatch.run_cycle()
    assert _account_limits(site) == (expected, {"set": False, "infinite": True, "number": 0},
                                     ["antsite"])
    audit = list(AuditEvent.objects.filter(action="allocation.factory_account")
                 .values_list("message", flat=True))
    assert any("created" in m for m in audit) and any("-> GrpTRESMins" in m for m in audit)

    # Close or expiry: the associations are removed (the account stays for sacct).
    allocation_close(allocation=allocation, by=site["operator"])
    dispatch.run_cycle()
    assert _account_limits(site)[2] == []
    assert FactoryAccount.objects.get(pk=account.pk).state == "removed"


def test_accounts_antenna_did_not_make_are_left_alone(current_env):
    site = _site(current_env, "CURRENT", "gpu", identity="community", version="v0.0.42")
    # Someone made `<prefix><id>` by hand before Antenna: not Antenna's (no marker).
    _rest(site["url"], site["token"], "POST", "/slurmdb/v0.0.42/accounts_association", {
        "association_condition": {"accounts": [site["name"]], "clusters": ["current"],
                                  "association": {"grptresmins": [
                                      {"type": "gres", "name": "gpu", "count": 5}]}},
        "account": {"description": "made by hand", "organization": "site"}})
    dispatch.run_cycle()
    assert _account_limits(site) == (5, {"set": False, "infinite": True, "number": 0}, [])
    account = FactoryAccount.objects.get(allocation=site["allocation"])
    assert "Antenna did not make" in account.last_error and account.last_sync_at is None


def test_community_account_holds_the_service_account(current_env):
    site = _site(current_env, "CURRENT", "gpu", identity="community", version="v0.0.42")
    response = site["client"].post("/jobs", {
        "allocation": site["allocation"].pk, "name": "community",
        "script": "#!/bin/bash\nsleep 1\n", "gpus": 1, "walltime_minutes": 5,
        "factory": site["factory"].pk})
    assert response.status_code == 201, response.content
    deadline = time.monotonic() + 90
    while not Job.objects.filter(pk=response.json()["id"], settled_at__isnull=False).exists():
        assert time.monotonic() < deadline
        dispatch.run_cycle()
        time.sleep(0.5)
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "completed"
    assert _account_limits(site)[2] == [current_env["ANTENNA_SLURM_CURRENT_USER"]]
    record = _db_job(site, job.scheduler_job_id)
    assert record and record["account"] == site["name"]
    assert record["user"] == current_env["ANTENNA_SLURM_CURRENT_USER"]
    assert not ExternalUsage.objects.exists()  # its own job is not external usage
    allocation_close(allocation=site["allocation"], by=site["operator"])
    dispatch.run_cycle()


def test_account_on_slurm_22_05(settings):
    if not SLURM22_ENV.exists():
        pytest.skip(f"Slurm 22.05 test clusters not started ({SLURM22_ENV} missing)")
    env = read_cluster_env(SLURM22_ENV)
    site = _site(env, "JUPITER", env["ANTENNA_SLURM_JUPITER_PARTITION"], identity="community",
                 version="v0.0.38")
    dispatch.run_cycle()
    expected = gpu_minutes(site["allocation"], site["factory"])
    account = FactoryAccount.objects.get(allocation=site["allocation"])
    assert account.last_error == "" and account.state == "active"
    minutes, _jobs, users = _account_limits(site)
    assert (minutes, users) == (expected, [env["ANTENNA_SLURM_JUPITER_USER"]])
    # v0.0.38 cannot change an account's limits: suspending says so, and what to run.
    allocation_suspend(allocation=site["allocation"], by=site["operator"], reason="test")
    dispatch.run_cycle()
    account.refresh_from_db()
    assert "cannot change an account's limits" in account.last_error
    assert f"sacctmgr modify account {site['name']}" in account.last_error
    allocation_close(allocation=site["allocation"], by=site["operator"])
    dispatch.run_cycle()
    assert _account_limits(site)[2] == []
