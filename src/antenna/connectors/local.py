"""The `local` connector: the embedded default used by the demo and the tests.

Each job runs under a detached supervisor (`wrapper.sh`) in its own state directory under the
factory's root (`ANTENNA_DATA_DIR/factories/<name>/jobs/<id>/`), with its output captured and
its walltime enforced by `timeout` (ending in `timeout`). The job itself runs in a bubblewrap
sandbox (`connectors/sandbox.py`) that sees only its work directory (`jobs/<id>/work/`, as
`/job`): the supervisor records the start, the end and the exit code outside it, where the job
cannot write. Without a working bwrap, jobs are refused unless ANTENNA_UNISOLATED_LOCAL_JOBS
is on (the demo), where they run unisolated and the pages say so. A finite number of GPU
slots per factory (`gpu_slots`, default 8) makes jobs really queue, first come first served.
Everything lives in files, so the state survives a worker restart, and several workers may
share it (flock).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from antenna.connectors.base import (
    Capability,
    Connector,
    FactoryQueue,
    Health,
    JobRejected,
    JobSpec,
    JobStatus,
    NodeState,
    QueuedJob,
    SchedulerState,
)
from antenna.connectors.sandbox import SANDBOX_UID, Sandbox, sandbox_problem
from antenna.core.errors import FactoryUnavailable

log = logging.getLogger("antenna.connectors")

WRAPPER = """#!/bin/bash
# Written by Antenna's local connector: the supervisor, outside the job's sandbox. It records
# the start, the end and the exit code in this state directory, which the job cannot see; the
# job's output reaches output.log through the file descriptors opened here.
# Usage: wrapper.sh <walltime> <command...>
cd "$(dirname "$0")"
echo $$ > pid
walltime=$1
shift
date -u +%s.%N > started_at
timeout --signal=TERM --kill-after=5 "$walltime" "$@" > output.log 2>&1 < /dev/null &
echo $! > timeout_pid
wait $!
rc=$?
date -u +%s.%N > finished_at
echo $rc > exit_code.tmp && mv exit_code.tmp exit_code
"""

TIMEOUT_EXIT = 124
REFUSED_EXIT = 126
SECONDS_PER_WALLTIME_MINUTE = 60  # tests shrink it to make walltimes short


class LocalConnector(Connector):
    """Runs jobs as local processes with a simulated number of GPU slots."""

    capabilities = frozenset({Capability.CANCEL, Capability.LOGS, Capability.ACCOUNTING,
                              Capability.FIND_BY_NAME, Capability.QUEUE})
    # First come, first served on arrival: submitted in parallel, a later job could arrive
    # first and overtake (CI saw it on 2026-12-03); its file lock serialises submits anyway.
    max_parallel_submits = 1

    def __init__(self, factory_name: str, settings: dict[str, Any]) -> None:
        super().__init__(factory_name, settings)
        default_root = Path(django_settings.DATA_DIR) / "factories" / factory_name
        self.root = Path(settings.get("root") or default_root)
        self.gpu_slots = int(settings.get("gpu_slots", 8))
        self.jobs_dir = self.root / "jobs"
        self.names_dir = self.root / "names"
        self.network = bool(settings.get("network", False))
        self.sandbox_uid = int(settings.get("sandbox_uid", SANDBOX_UID))

    @property
    def isolated(self) -> bool:
        """Jobs run in a bubblewrap sandbox (False: bwrap is missing or broken here)."""
        return self.isolation_problem() is None

    def isolation_problem(self) -> str | None:
        """Why jobs cannot run isolated on this factory, or None."""
        return sandbox_problem(self.root)

    def _refusal(self) -> str | None:
        """The reason to refuse a job: no isolation, outside the demo
        (ANTENNA_UNISOLATED_LOCAL_JOBS, which `antenna demo` and ANTENNA_DEBUG turn on)."""
        problem = self.isolation_problem()
        if problem is None or django_settings.ANTENNA_UNISOLATED_LOCAL_JOBS:
            return None
        return (f"{self.factory_name} cannot run jobs isolated from each other and from "
                f"Antenna: {problem}. Production never runs them "
                "unisolated: install bubblewrap on the worker's machine.")

    # -- helpers ------------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.names_dir.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _dir(self, job_id: str) -> Path:
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise JobRejected(f"Bad local job id '{job_id}'.")
        return self.jobs_dir / job_id

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            return None

    @staticmethod
    def _alive(pid_text: str | None) -> bool:
        if not pid_text:
            return False
        try:
            os.kill(int(pid_text), 0)
        except (ProcessLookupError, ValueError):
            return False
        except PermissionError:
            return True
        return True

    def _spec(self, job_dir: Path) -> dict[str, Any]:
        return dict(json.loads((job_dir / "spec.json").read_text()))

    # -- the simulated scheduler -------------------------------------------------------
    def _schedule(self) -> None:
        """Start pending jobs, oldest first, while GPU slots are free (caller holds the lock)."""
        running_gpus = 0
        pending: list[tuple[float, Path, dict[str, Any]]] = []
        for job_dir in self.jobs_dir.iterdir():
            spec = self._spec(job_dir)
            if (job_dir / "cancelled").exists() or (job_dir / "exit_code").exists():
                continue
            if (job_dir / "launched").exists():
                running_gpus += int(spec["gpus"])
            else:
                pending.append((float(spec["submitted_at"]), job_dir, spec))
        for _, job_dir, spec in sorted(pending, key=lambda item: (item[0], item[1].name)):
            if running_gpus + int(spec["gpus"]) > self.gpu_slots:
                break  # first come, first served: nobody overtakes the head of the queue
            self._launch(job_dir, spec)
            running_gpus += int(spec["gpus"])

    def _launch(self, job_dir: Path, spec: dict[str, Any]) -> None:
        (job_dir / "launched").write_text(dt.datetime.now(dt.UTC).isoformat())
        refusal = self._refusal()
        if refusal is not None:  # isolation was lost after the job was accepted
            (job_dir / "refused").write_text(refusal)
            (job_dir / "exit_code").write_text(str(REFUSED_EXIT))
            return
        seconds = int(spec["walltime_minutes"]) * SECONDS_PER_WALLTIME_MINUTE
        requested = {
            "ANTENNA_JOB_ID": str(spec["antenna_job_id"]),
            "ANTENNA_GPUS": str(spec["gpus"]),
            "ANTENNA_FACTORY": self.factory_name,
            **{str(k): str(v) for k, v in spec.get("environment", {}).items()},
        }
        work = job_dir / "work"
        if not (work / "job.sh").exists():  # queued before the sandbox existed
            work.mkdir(exist_ok=True)
            shutil.copyfile(job_dir / "job.sh", work / "job.sh")
        sandbox = Sandbox(work_dir=work, etc_dir=self.root / "sandbox",
                          hostname=self.factory_name, uid=self.sandbox_uid,
                          network=self.network)
        if self.isolated:
            sandbox.prepare()
            command = sandbox.argv(["bash", "./job.sh"], sandbox.environment(requested))
            env = {"PATH": "/usr/bin:/bin"}  # the supervisor's; the job's is set by bwrap
        else:  # the demo without bubblewrap: the job and console pages warn about it
            log.warning("%s: job %s runs NOT isolated: %s", self.factory_name, job_dir.name,
                        self.isolation_problem())
            work.mkdir(exist_ok=True)
            command = ["bash", "-c", "cd work && exec bash ./job.sh"]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
                   **requested}
        setsid = shutil.which("setsid") or "/usr/bin/setsid"
        subprocess.run(  # noqa: S603 - our own wrapper, arguments are not shell-parsed
            [setsid, "-f", "bash", str(job_dir / "wrapper.sh"), f"{seconds}s", *command],
            cwd=job_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, check=True, timeout=30,
        )

    # -- connector methods -------------------------------------------------------------
    def _submit(self, spec: JobSpec) -> str:
        if spec.gpus > self.gpu_slots:
            raise JobRejected(
                f"{self.factory_name} has {self.gpu_slots} GPU slots; the job asks for "
                f"{spec.gpus}."
            )
        refusal = self._refusal()
        if refusal is not None:
            raise FactoryUnavailable(refusal, retryable=False)
        with self._lock():
            existing = self._read(self.names_dir / spec.scheduler_name)
            if existing:
                return existing
            job_id = f"{spec.antenna_job_id}-{uuid.uuid4().hex[:8]}"
            job_dir = self._dir(job_id)
            job_dir.mkdir(parents=True)
            job_dir.chmod(0o700)  # the state directory: the supervisor's, never the job's
            (job_dir / "job.sh").write_text(spec.script)  # the record of what was submitted
            (job_dir / "work").mkdir()
            (job_dir / "work" / "job.sh").write_text(spec.script)  # the copy the job runs
            (job_dir / "wrapper.sh").write_text(WRAPPER)
            (job_dir / "spec.json").write_text(json.dumps({
                "antenna_job_id": spec.antenna_job_id, "name": spec.scheduler_name,
                "gpus": spec.gpus, "walltime_minutes": spec.walltime_minutes,
                "partition": spec.partition, "environment": spec.environment,
                "submitted_at": dt.datetime.now(dt.UTC).timestamp(),
            }))
            (self.names_dir / spec.scheduler_name).write_text(job_id)
            self._schedule()
        return job_id

    def _find(self, spec: JobSpec) -> str | None:
        return self._read(self.names_dir / spec.scheduler_name)

    def _status(self, job_id: str) -> JobStatus:
        job_dir = self._dir(job_id)
        if not (job_dir / "spec.json").exists():
            return JobStatus(job_id, SchedulerState.UNKNOWN, reason="no such job")
        spec = self._spec(job_dir)
        started = self._timestamp(job_dir / "started_at")
        finished = self._timestamp(job_dir / "finished_at")
        rc_text = self._read(job_dir / "exit_code")
        # Whole seconds, rounded up: a job that ran at all is charged at least one second.
        elapsed = math.ceil((finished - started).total_seconds()) if started and finished \
            else None
        base: dict[str, Any] = {"started_at": started, "finished_at": finished,
                                "elapsed_seconds": elapsed, "gpus": int(spec["gpus"])}
        refused = self._read(job_dir / "refused")
        if refused is not None:
            return JobStatus(job_id, SchedulerState.FAILED, exit_code=REFUSED_EXIT,
                             reason=refused, **base)
        if (job_dir / "cancelled").exists():
            if rc_text is None and self._alive(self._read(job_dir / "pid")):
                return JobStatus(job_id, SchedulerState.RUNNING, **base)
            return JobStatus(job_id, SchedulerState.CANCELLED,
                             exit_code=int(rc_text) if rc_text else None, **base)
        if rc_text is not None:
            rc = int(rc_text)
            if rc == TIMEOUT_EXIT:
                return JobStatus(job_id, SchedulerState.TIMEOUT, exit_code=rc, **base)
            state = SchedulerState.COMPLETED if rc == 0 else SchedulerState.FAILED
            return JobStatus(job_id, state, exit_code=rc, **base)
        if (job_dir / "launched").exists():
            pid = self._read(job_dir / "pid")
            if pid is not None and not self._alive(pid):
                return JobStatus(job_id, SchedulerState.FAILED, reason="the job process was lost",
                                 **base)
            return JobStatus(job_id, SchedulerState.RUNNING, **base)
        return JobStatus(job_id, SchedulerState.PENDING, **base)

    @staticmethod
    def _timestamp(path: Path) -> dt.datetime | None:
        try:
            return dt.datetime.fromtimestamp(float(path.read_text().strip()), tz=dt.UTC)
        except (FileNotFoundError, ValueError):
            return None

    def _poll(self, ids: list[str]) -> dict[str, JobStatus]:
        with self._lock():
            self._schedule()
        return {job_id: self._status(job_id) for job_id in ids}

    def _cancel(self, scheduler_job_id: str) -> None:
        job_dir = self._dir(scheduler_job_id)
        with self._lock():
            if not job_dir.exists() or (job_dir / "exit_code").exists():
                return
            (job_dir / "cancelled").write_text(dt.datetime.now(dt.UTC).isoformat())
            # `timeout` leads its own process group (the job and its children): signal the
            # group; the wrapper survives to record the end time and exit code.
            pid = self._read(job_dir / "timeout_pid")
            if pid and self._alive(pid):
                with suppress(ProcessLookupError):
                    os.killpg(int(pid), signal.SIGTERM)
            self._schedule()

    def _accounting(self, scheduler_job_id: str) -> JobStatus | None:
        status = self._status(scheduler_job_id)
        return status if status.state.is_final else None

    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        out: list[JobStatus] = []
        if not self.jobs_dir.exists():
            return out
        for job_dir in self.jobs_dir.iterdir():
            status = self._status(job_dir.name)
            if status.state.is_final and status.finished_at and status.finished_at >= since:
                out.append(status)
        return out

    def _queue(self) -> FactoryQueue:
        """Its own queue: the jobs launched and not ended (running), the others in submission
        order (pending), and one node with `gpu_slots` GPUs serving every partition."""
        now = dt.datetime.now(dt.UTC)
        jobs: list[tuple[float, QueuedJob]] = []
        used = 0
        with self._lock():
            self._schedule()
            for job_dir in self.jobs_dir.iterdir():
                status = self._status(job_dir.name)
                if status.state not in (SchedulerState.RUNNING, SchedulerState.PENDING):
                    continue
                spec = self._spec(job_dir)
                gpus = int(spec["gpus"])
                limit = float(int(spec["walltime_minutes"]) * SECONDS_PER_WALLTIME_MINUTE)
                running = status.state == SchedulerState.RUNNING
                left = None
                if running:
                    used += gpus
                    started = status.started_at or now
                    left = max(0.0, limit - (now - started).total_seconds())
                jobs.append((float(spec["submitted_at"]), QueuedJob(
                    scheduler_job_id=job_dir.name, user="antenna",
                    partition=str(spec.get("partition") or ""), running=running, gpus=gpus,
                    nodes=1, time_limit_seconds=limit, seconds_left=left)))
        jobs.sort(key=lambda item: (item[0], item[1].scheduler_job_id))
        node = NodeState(name=self.factory_name, partitions=(), gpus=self.gpu_slots,
                         gpus_used=min(used, self.gpu_slots), available=True, state="up")
        return FactoryQueue(jobs=tuple(job for _, job in jobs), nodes=(node,))

    def _read_log(self, scheduler_job_id: str, max_bytes: int) -> str:
        path = self._dir(scheduler_job_id) / "output.log"
        try:
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - max_bytes))
                return handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _health(self) -> Health:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            return Health(ok=False, detail=f"{self.root} is not writable")
        refusal = self._refusal()
        if refusal is not None:
            return Health(ok=False, detail=refusal)
        if not self.isolated:
            return Health(ok=True, detail=f"{self.gpu_slots} GPU slots, NOT isolated (demo): "
                                          f"{self.isolation_problem()}")
        return Health(ok=True, detail=f"{self.gpu_slots} GPU slots, sandboxed (bubblewrap)")
