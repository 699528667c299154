"""Attacks on the `local` connector's sandbox, each run through the real connector and bwrap.

Every test is a job script written by a hostile tenant (issue #8); it passes only if the attack
gets nothing. CI installs bubblewrap and fails on skips, so these never silently vanish.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from antenna.connectors import local
from antenna.connectors.base import JobSpec, JobStatus, SchedulerState
from antenna.connectors.checks import check_local_sandbox
from antenna.connectors.local import LocalConnector
from antenna.connectors.sandbox import DEFAULT_BWRAP
from antenna.connectors.templatetags.sandbox import simulated, unisolated
from antenna.core.errors import FactoryUnavailable
from antenna.jobs.recipes import GENERIC, RECIPES, Target, render_script

pytestmark = pytest.mark.skipif(
    not os.access(DEFAULT_BWRAP, os.X_OK),
    reason=f"bubblewrap is not installed ({DEFAULT_BWRAP}): apt-get install bubblewrap",
)
MISSING_BWRAP = "/nonexistent/bwrap"


@pytest.fixture
def data_dir(tmp_path, settings):
    """A data directory like production's: secret key, database, the factory's job tree."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    secret = f"SECRET-KEY-{secrets.token_hex(8)}"
    (settings.DATA_DIR / "secret_key").write_text(secret)
    (settings.DATA_DIR / "secret_key").chmod(0o600)
    (settings.DATA_DIR / "antenna.sqlite3").write_bytes(
        b"SQLite format 3\x00" + f"DB-ROW-{secrets.token_hex(8)}".encode())
    return settings.DATA_DIR, secret


def _connector(data: Path, **extra: object) -> LocalConnector:
    return LocalConnector("sandbox-t", {"root": str(data / "factories" / "sandbox-t"),
                                        "gpu_slots": 8, **extra})


_next_id = iter(range(1000, 100000))


def _submit(connector: LocalConnector, script: str, walltime: int = 5) -> str:
    spec = JobSpec(antenna_job_id=next(_next_id), name="attack",
                   script="#!/bin/bash\n" + script, gpus=1, cpus=1, memory_mb=1024,
                   walltime_minutes=walltime, partition="sandbox")
    return connector.submit(spec)


def _wait(connector: LocalConnector, job_id: str, timeout: float = 30) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = connector.poll([job_id])[job_id]
        if status.state.is_final:
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def _run(connector: LocalConnector, script: str) -> tuple[JobStatus, str]:
    job_id = _submit(connector, script)
    return _wait(connector, job_id), connector.read_log(job_id)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _gone(marker: str, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _processes_with(marker)


def test_job_cannot_read_secret_key_database_or_server_environment(data_dir, monkeypatch,
                                                                   tmp_path):
    data, secret = data_dir
    server_secret = f"ANTENNA-ENV-{secrets.token_hex(8)}"
    monkeypatch.setenv("ANTENNA_SECRET_KEY_PROBE", server_secret)  # the server's environment
    (tmp_path / "host-tmp-file").write_text(secret)
    connector = _connector(data)
    status, log = _run(connector, f"""
cat {data}/secret_key
cat {data}/antenna.sqlite3
cat {tmp_path}/host-tmp-file
cat /proc/1/environ /proc/{os.getpid()}/environ /proc/{os.getppid()}/environ
for p in /proc/[0-9]*; do cat $p/environ; done
env
ls -a / /root /home /tmp {data} {connector.root}/jobs
cat ../spec.json
echo ATTACK-DONE
""")
    assert status.state is SchedulerState.COMPLETED
    assert "ATTACK-DONE" in log and "No such file or directory" in log
    assert secret not in log
    assert "DB-ROW-" not in log
    assert server_secret not in log
    assert "antenna_job_id" not in log  # the state directory's spec.json
    listed = set(log.splitlines())  # `ls` prints one name a line: no host name is listed
    assert not listed & set(os.listdir("/tmp")), "the host's /tmp is visible"
    assert not listed & set(os.listdir(data)), "the data directory is visible"


def test_job_cannot_overwrite_secret_key_or_database(data_dir):
    data, _secret = data_dir
    before = {p: _digest(data / p) for p in ("secret_key", "antenna.sqlite3")}
    status, _log = _run(_connector(data), f"""
echo pwned >> {data}/secret_key
echo pwned > {data}/antenna.sqlite3
rm -f {data}/secret_key
echo pwned >> ../output.log
""")
    assert status.state is SchedulerState.FAILED or status.state is SchedulerState.COMPLETED
    assert {p: _digest(data / p) for p in before} == before


def test_job_cannot_read_or_append_to_another_jobs_script_and_log(data_dir):
    data, _ = data_dir
    connector = _connector(data)
    private = f"TENANT-A-{secrets.token_hex(8)}"
    victim = _submit(connector, f"echo {private}\n# {private}\n")
    assert _wait(connector, victim).state is SchedulerState.COMPLETED
    victim_dir = connector.jobs_dir / victim
    files = [victim_dir / "output.log", victim_dir / "job.sh", victim_dir / "work" / "job.sh"]
    before = {f: _digest(f) for f in files}
    status, log = _run(connector, f"""
cat {victim_dir}/output.log {victim_dir}/job.sh {victim_dir}/work/job.sh
for f in {connector.jobs_dir}/*/output.log {connector.jobs_dir}/*/work/job.sh; do
  cat "$f"; echo appended-by-attacker >> "$f"
done
echo appended-by-attacker >> {victim_dir}/output.log
ls {connector.jobs_dir}
""")
    assert status.state.is_final
    assert private not in log
    assert victim not in log.splitlines()  # `ls` of the jobs directory listed nothing
    assert {f: _digest(f) for f in files} == before


def test_job_cannot_change_the_time_it_is_charged_for(data_dir):
    data, _ = data_dir
    connector = _connector(data)
    status, _log = _run(connector, f"""
sleep 3
now=$(date -u +%s.%N)
for f in ./started_at ../started_at /job/started_at {connector.jobs_dir}/*/started_at; do
  echo "$now" > "$f"
done
touch -d '1 hour ago' * ..
exit 0
""")
    assert status.state is SchedulerState.COMPLETED
    assert status.elapsed_seconds is not None and status.elapsed_seconds >= 3
    assert status.started_at is not None and status.finished_at is not None
    assert (status.finished_at - status.started_at).total_seconds() >= 3


def test_background_process_does_not_outlive_its_job(data_dir):
    marker = f"900.{secrets.randbelow(10**9):09d}"  # a unique argument to sleep
    status, _log = _run(_connector(data_dir[0]), f"""
setsid sleep {marker} &
nohup sleep {marker} >/dev/null 2>&1 &
( trap '' TERM HUP; sleep {marker} ) &
disown -a
sleep 0.5
""")
    assert status.state is SchedulerState.COMPLETED
    assert _gone(marker), f"left behind: {_processes_with(marker)}"


def test_cancel_ends_every_process_of_the_job(data_dir):
    connector = _connector(data_dir[0])
    marker = f"900.{secrets.randbelow(10**9):09d}"
    job_id = _submit(connector, f"setsid sleep {marker} &\nsleep {marker}\n")
    deadline = time.monotonic() + 10
    while len(_processes_with(marker)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_processes_with(marker)) >= 2, "the job never started its processes"
    connector.cancel(job_id)
    assert _wait(connector, job_id).state is SchedulerState.CANCELLED
    assert _gone(marker), f"left behind: {_processes_with(marker)}"


def test_walltime_ends_every_process_of_the_job(data_dir, monkeypatch):
    monkeypatch.setattr(local, "SECONDS_PER_WALLTIME_MINUTE", 1)
    connector = _connector(data_dir[0])
    marker = f"900.{secrets.randbelow(10**9):09d}"
    job_id = _submit(connector, f"setsid sleep {marker} &\nsleep {marker}\n", walltime=2)
    assert _wait(connector, job_id).state is SchedulerState.TIMEOUT
    assert _gone(marker), f"left behind: {_processes_with(marker)}"


def _try_connect_script(port: int) -> str:
    return (f"if exec 3<>/dev/tcp/127.0.0.1/{port}; then echo CONNECTED; "
            "else echo NO-NETWORK; fi\n")


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(2)
    yield server
    server.close()


def test_job_has_no_network(data_dir, listener):
    status, log = _run(_connector(data_dir[0]), _try_connect_script(listener.getsockname()[1]))
    assert status.state is SchedulerState.COMPLETED
    assert "NO-NETWORK" in log and "CONNECTED" not in log
    with pytest.raises(TimeoutError):
        listener.accept()


def test_factory_setting_network_true_lets_jobs_connect(data_dir, listener):
    """The control of the test above: the same job reaches the port when the factory allows."""
    connector = _connector(data_dir[0], network=True)
    status, log = _run(connector, _try_connect_script(listener.getsockname()[1]))
    assert status.state is SchedulerState.COMPLETED
    assert "CONNECTED" in log


@pytest.mark.parametrize("slug", list(RECIPES))
def test_demo_templates_complete_in_the_sandbox(data_dir, slug):
    script = render_script(RECIPES[slug], {}, gpus=1, target=Target(GENERIC))
    status, log = _run(_connector(data_dir[0]), script.removeprefix("#!/bin/bash\n"))
    assert status.state is SchedulerState.COMPLETED, log
    assert "Job started" in log


def test_production_refuses_jobs_without_bubblewrap(data_dir, settings):
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = False
    settings.ANTENNA_BWRAP = MISSING_BWRAP
    connector = _connector(data_dir[0])
    with pytest.raises(FactoryUnavailable) as refused:
        _submit(connector, "echo would run unisolated\n")
    assert refused.value.retryable is False
    assert "bubblewrap" in refused.value.message and MISSING_BWRAP in refused.value.message
    assert not connector.jobs_dir.exists() or not any(connector.jobs_dir.iterdir())
    assert connector.health().ok is False


def test_production_fails_a_queued_job_when_bubblewrap_disappears(data_dir, settings):
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = False
    connector = _connector(data_dir[0], gpu_slots=1)
    first = _submit(connector, "sleep 2\n")
    queued = _submit(connector, "echo must not run\n")  # waits for the only GPU slot
    settings.ANTENNA_BWRAP = MISSING_BWRAP
    assert _wait(connector, first).state is SchedulerState.COMPLETED
    status = _wait(connector, queued)
    assert status.state is SchedulerState.FAILED and "bubblewrap" in status.reason
    assert "must not run" not in connector.read_log(queued)


def test_demo_without_bubblewrap_runs_jobs_and_flags_them(data_dir, settings):
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = True
    settings.ANTENNA_BWRAP = MISSING_BWRAP
    connector = _connector(data_dir[0])
    status, log = _run(connector, "echo demo-ran\n")
    assert status.state is SchedulerState.COMPLETED and "demo-ran" in log
    assert connector.isolated is False
    factory = type("F", (), {"name": "sandbox-t", "connector": "local",
                             "connector_settings": {"root": str(connector.root)}})()
    assert unisolated(factory) is True and simulated(factory) is True
    settings.ANTENNA_BWRAP = DEFAULT_BWRAP
    assert unisolated(factory) is False


@pytest.mark.django_db
def test_deploy_check_reports_local_factory_without_working_bubblewrap(data_dir, settings):
    from django.core import checks

    from antenna.factories.services import factory_register

    factory_register(name="sandbox-t", connector="local",
                     connector_settings={"root": str(data_dir[0] / "factories" / "sandbox-t")})
    assert check_local_sandbox() == []
    settings.ANTENNA_BWRAP = MISSING_BWRAP
    deploy = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    errors = [e for e in deploy if e.id == "connectors.E001"]
    assert len(errors) == 1 and "sandbox-t" in errors[0].msg and MISSING_BWRAP in errors[0].msg
    settings.ANTENNA_BWRAP = "/bin/false"  # present but not working
    assert [e.id for e in check_local_sandbox()] == ["connectors.E001"]


@pytest.mark.django_db
def test_deploy_check_refuses_the_demo_switch_in_production(settings):
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = True
    assert "connectors.E002" in [e.id for e in check_local_sandbox()]
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = False
    assert "connectors.E002" not in [e.id for e in check_local_sandbox()]


def test_add_factory_has_no_default_connector():
    with pytest.raises(CommandError, match="--connector"):
        call_command("add_factory", "nameless")
