"""Capability ACCOUNTS against slurmdbd answers recorded from the real clusters: `current`
(Slurm 24.11, v0.0.42) and `jupiter` (Slurm 22.05, v0.0.38), written by
`testbeds/slurm/record_accounts.py` (an account `antrec900001` with the marker
`antenna:allocation=900001,instance=rec`, GrpTRESMins gres/gpu=6000)."""

# ruff: noqa: F811 - the fixtures imported from test_slurmrest_replay are test arguments here
from __future__ import annotations

import datetime as dt

import pytest

from antenna.connectors.base import AccountSpec, Capability, JobRejected
from antenna.connectors.slurmrest.protocol import SlurmAccount
from antenna.connectors.slurmrest.versions import api_for
from antenna.connectors.tests.test_slurmrest_replay import (  # noqa: F401 - fixtures
    _no_backoff,
    connector,
    recording,
    replay,
    token_file,
)
from antenna.core.errors import FactoryUnavailable

CASES = [("current", "v0.0.42", "antsite"), ("jupiter", "v0.0.38", "antenna")]
ACCOUNT = SlurmAccount(name="ant7", description="antenna:allocation=7 | Lab",
                       organization="antenna", cluster="c1", gpu_minutes=600)


def _route_reads(replay, cluster: str, version: str) -> None:
    db = f"/slurmdb/{version}".replace(".", r"\.")
    replay.route("GET", f"{db}/accounts", f"{cluster}:{version}_account_accounts")
    replay.route("GET", f"{db}/associations", f"{cluster}:{version}_account_associations")


def _ours(connector, version: str, **settings):
    return connector(**{"api_version": version, "accounts": True, "account_prefix": "antrec",
                        "instance": "rec", **settings})


@pytest.mark.parametrize(("cluster", "version", "user"), CASES)
def test_recorded_account_is_read_with_its_limit_and_users(cluster, version, user):
    api = api_for(version)
    accounts = {a.name: a for a in api.parse_accounts(
        recording(cluster, f"{version}_account_accounts")["body"],
        recording(cluster, f"{version}_account_associations")["body"])}
    account = accounts["antrec900001"]
    assert account.cluster == cluster and account.gpu_minutes == 6000
    assert account.users == (user,)
    assert account.description.startswith("antenna:allocation=900001,instance=rec | ")
    # v0.0.42 recorded after GrpJobs=0 was set; v0.0.38 cannot set it
    assert account.max_running_jobs == (0 if version == "v0.0.42" else None)
    assert accounts["root"].gpu_minutes is None and accounts["root"].max_running_jobs is None


@pytest.mark.parametrize(("cluster", "version", "user"), CASES)
def test_the_connector_returns_only_its_own_accounts(replay, connector, cluster, version, user):
    _route_reads(replay, cluster, version)
    c = _ours(connector, version)
    assert Capability.ACCOUNTS in c.capabilities
    found = c.accounts()
    assert list(found) == [900001]
    assert found[900001].name == "antrec900001" and found[900001].users == (user,)
    assert found[900001].held == (version == "v0.0.42")
    # another installation (instance), another prefix: nothing is ours
    assert _ours(connector, version, instance="other").accounts() == {}
    assert connector(api_version=version, accounts=True).accounts() == {}
    assert Capability.ACCOUNTS not in connector(api_version=version).capabilities


def test_v0_0_42_bodies():
    api = api_for("v0.0.42")
    [create] = api.account_create(ACCOUNT)
    assert (create.method, create.path) == ("POST", "/slurmdb/v0.0.42/accounts_association")
    assert create.body == {
        "association_condition": {
            "accounts": ["ant7"], "clusters": ["c1"],
            "association": {"grptresmins": [{"type": "gres", "name": "gpu", "count": 600}],
                            "grpjobs": {"set": False, "infinite": True, "number": 0}}},
        "account": {"description": "antenna:allocation=7 | Lab", "organization": "antenna"}}
    held = api.account_limits(SlurmAccount(**{**ACCOUNT.__dict__, "max_running_jobs": 0}))
    assert held is not None and held.path == "/slurmdb/v0.0.42/associations"
    assert held.body == {"associations": [{
        "account": "ant7", "cluster": "c1", "user": "",
        "max": {"tres": {"group": {"minutes": [{"type": "gres", "name": "gpu", "count": 600}]}},
                "jobs": {"active": {"set": True, "infinite": False, "number": 0}}}}]}
    remove = api.association_remove("ant7", "c1", "amartin")
    assert (remove.method, remove.path) == (
        "DELETE", "/slurmdb/v0.0.42/association?account=ant7&cluster=c1&user=amartin")


def test_v0_0_38_bodies_and_no_limit_changes():
    api = api_for("v0.0.38")
    account, association = api.account_create(ACCOUNT)
    assert account.path == "/slurmdb/v0.0.38/accounts" and account.body == {"accounts": [
        {"name": "ant7", "description": "antenna:allocation=7 | Lab",
         "organization": "antenna"}]}
    assert association.path == "/slurmdb/v0.0.38/associations"
    assert association.body == {"associations": [{
        "account": "ant7", "cluster": "c1", "user": "", "parent_account": "root",
        "max": {"tres": {"group": {"minutes": [
            {"type": "gres", "name": "gpu", "count": 600}]}}}}]}
    assert api.account_limits(ACCOUNT) is None
    add = api.association_add("ant7", "c1", "amartin")
    assert add.body == {"associations": [{"account": "ant7", "cluster": "c1",
                                          "user": "amartin"}]}


@pytest.mark.parametrize(("cluster", "version", "user"), CASES)
def test_an_account_is_made_as_the_accounts_user_and_refusal_says_why(
        replay, connector, cluster, version, user):
    _route_reads(replay, cluster, version)
    db = f"/slurmdb/{version}".replace(".", r"\.")
    create = "accounts_association" if version == "v0.0.42" else "accounts"
    replay.route("POST", f"{db}/{create}", f"{cluster}:{version}_account_error_not_admin")
    c = _ours(connector, version, accounts_user="root")
    with pytest.raises(FactoryUnavailable, match=r"Access/permission denied.*only "
                                                 r"administrators write accounts"):
        c.account_ensure(AccountSpec(allocation_id=900002, label="Lab", gpu_minutes=60))
    assert {r["user"] for r in replay.requests} == {"root"}


def test_an_account_antenna_did_not_make_is_not_written(replay, connector):
    _route_reads(replay, "current", "v0.0.42")
    c = _ours(connector, "v0.0.42", instance="other")  # antrec900001 is another's
    with pytest.raises(JobRejected, match="Antenna did not make"):
        c.account_ensure(AccountSpec(allocation_id=900001, label="Lab", gpu_minutes=60))
    assert [r["method"] for r in replay.requests] == ["GET", "GET"]


def test_v0_0_38_limit_change_names_the_sacctmgr_command(replay, connector):
    _route_reads(replay, "jupiter", "v0.0.38")
    c = _ours(connector, "v0.0.38")
    with pytest.raises(FactoryUnavailable, match="sacctmgr modify account antrec900001 set "
                                                 "GrpTRESMins=gres/gpu=60 GrpJobs=0"):
        c.account_set_limits(AccountSpec(allocation_id=900001, label="Lab", gpu_minutes=60,
                                         held=True))


def test_jobs_under_the_accounts_not_submitted_here(replay, connector):
    """Usage outside the gateway: only jobs under `<prefix><id>` that carry no tag of this
    installation (the recorded jobs ran under the account `antenna`: none here)."""
    replay.route("GET", r"/slurmdb/v0\.0\.42/jobs", "current:v0.0.42_db_jobs")
    c = _ours(connector, "v0.0.42", account_prefix="antenna")
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert c.account_jobs_since(since) == []  # `antenna` has no allocation id after it
    body = recording("current", "v0.0.42_db_jobs")["body"]
    assert {j["account"] for j in body["jobs"]} == {"antenna"}


@pytest.mark.parametrize("version", ["v0.0.38", "v0.0.42"])
def test_the_submit_body_names_the_account(version):
    from antenna.connectors.slurmrest.protocol import SubmitRequest

    request = SubmitRequest(name="antenna-1", partition="gpu", script="#!/bin/bash\n",
                            working_directory="/w", standard_output="/w/o", environment={},
                            gpus=1, time_limit_minutes=5, comment="c")
    api = api_for(version)
    body = api.submit_request(request).body or {}
    assert "account" not in body["job"]  # none: the user's default account
    named = api.submit_request(SubmitRequest(**{**request.__dict__, "account": "ant7"})).body
    assert named is not None and named["job"]["account"] == "ant7"
