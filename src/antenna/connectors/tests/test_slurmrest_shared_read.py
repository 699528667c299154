"""slurmdbd's recent jobs are read once per worker cycle: settling (`accounting_since`) and
the usage outside the gateway (`account_jobs_since`) share the read (a request log)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from antenna.connectors.registry import connector_for, connector_scope, connectors_cycle_start
from antenna.connectors.slurmrest import SlurmRestConnector
from antenna.connectors.slurmrest.protocol import HttpCall


def _slurmrest_target() -> Any:
    return SimpleNamespace(name="countingdb", connector="slurmrest", identity_mode="community",
                           connector_settings={"url": "http://127.0.0.1:9", "user": "svc",
                                               "token_env": "ANTENNA_TEST_JWT",
                                               "api_version": "v0.0.38", "accounts": True})


@pytest.fixture
def request_log(monkeypatch) -> list[str]:
    """Every HTTP request a slurmrest connector sends (none reaches the network)."""
    sent: list[str] = []

    def send(self: SlurmRestConnector, call: HttpCall, run_as: str = "") -> tuple[int, dict]:
        sent.append(f"{call.method} {call.path.split('?')[0]}")
        return 200, {"jobs": [], "errors": []}

    monkeypatch.setattr(SlurmRestConnector, "_send", send)
    monkeypatch.setenv("ANTENNA_TEST_JWT", "jwt")
    return sent


def test_settling_and_outside_usage_share_one_accounting_read_per_cycle(request_log):
    now = dt.datetime.now(dt.UTC)
    target = _slurmrest_target()
    with connector_scope():
        for cycle in (1, 2):
            connectors_cycle_start()
            # factory_accounts (the usage outside the gateway), then settle_finished
            connector_for(target).account_jobs_since(now - dt.timedelta(minutes=15))
            connector_for(target).accounting_since(now - dt.timedelta(minutes=5))
            assert connector_for(target) is connector_for(target)
            assert request_log == ["GET /slurmdb/v0.0.38/jobs"] * cycle  # one per cycle
        # Asked further back than the cycle's read reaches: read again, nothing is missed.
        connector_for(target).accounting_since(now - dt.timedelta(hours=2))
        assert len(request_log) == 3


def test_outside_a_worker_cycle_each_accounting_call_reads_afresh(request_log):
    connector = connector_for(_slurmrest_target())
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    connector.account_jobs_since(since)
    connector.accounting_since(since)
    assert request_log == ["GET /slurmdb/v0.0.38/jobs"] * 2
