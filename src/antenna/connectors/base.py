"""The one interface every scheduler connector implements.

A connector talks to one factory's scheduler. Its public methods log and time the call and
turn transport failures into `FactoryUnavailable` (retryable); the private `_` methods do the
work. Capabilities are declared as a set of strings instead of `isinstance` checks.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from antenna.core.errors import AntennaError, FactoryUnavailable

log = logging.getLogger("antenna.connectors")
T = TypeVar("T")


class Capability(enum.StrEnum):
    CANCEL = "cancel"
    LOGS = "logs"
    ACCOUNTING = "accounting"
    CONTAINERS = "containers"
    FIND_BY_NAME = "find_by_name"
    QUEUE = "queue"  # the factory's whole queue (every user's jobs) and its nodes: `queue()`
    # Each allocation is an account at the factory (slurmdbd): `accounts()`, `account_ensure`,
    # `account_set_limits`, `association_add/remove`, `account_jobs_since`.
    ACCOUNTS = "accounts"
    ARRAYS = "arrays"  # runs job arrays (`JobSpec.array`) and reports each task


class SchedulerState(enum.StrEnum):
    """What a scheduler says about a job, mapped to Antenna's vocabulary."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in (SchedulerState.COMPLETED, SchedulerState.FAILED,
                        SchedulerState.CANCELLED, SchedulerState.TIMEOUT)


@dataclass(frozen=True)
class JobSpec:
    """What a connector needs to start a job. `name` carries Antenna's job id."""

    antenna_job_id: int
    name: str
    script: str
    gpus: int
    cpus: int
    memory_mb: int
    walltime_minutes: int
    partition: str
    container_image: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    # The allocation's account at the factory (capability ACCOUNTS); "" for the default one.
    account: str = ""
    # Who the job is for, written into the scheduler's comment so the site can trace it.
    owner: str = ""
    organization: str = ""
    allocation: str = ""
    # The person's own username at the factory (identity mode per_user); "" runs the job as
    # the connector's service account.
    run_as: str = ""
    # The nodes the job runs on (factories.partition_fit.nodes_for): above one, its GPUs are
    # spread evenly over whole nodes, with one launcher task per node.
    nodes: int = 1
    # A job array's indexes ("0-99%10", see jobs/arrays.py): one task per index, each with
    # the job's GPUs and walltime (capability ARRAYS).
    array: str = ""

    @property
    def scheduler_name(self) -> str:
        """The name given to the scheduler: lets a retry find a job submitted before a crash."""
        return f"antenna-{self.antenna_job_id}"


@dataclass(frozen=True)
class AccountSpec:
    """What an allocation's account at a factory should be (capability ACCOUNTS): its GPU
    limit in the scheduler's GPU-minutes, whether new jobs may start, and who may use it."""

    allocation_id: int
    label: str  # who it is for (the organisation), written after the ownership marker
    gpu_minutes: int
    held: bool = False  # suspended: nothing new starts (GrpJobs=0)
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountState:
    """An account Antenna made at a factory, as the scheduler holds it now."""

    allocation_id: int
    name: str
    gpu_minutes: int | None
    held: bool
    users: tuple[str, ...]


@dataclass(frozen=True)
class AccountJob:
    """A finished job charged to one of Antenna's accounts that this installation did not
    submit (sbatch over SSH, Jupyter): usage outside the gateway."""

    scheduler_job_id: str
    allocation_id: int
    user: str
    gpus: int
    elapsed_seconds: int
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class TaskStatus:
    """One task of a job array (`123_4` in Slurm)."""

    index: int
    scheduler_job_id: str
    state: SchedulerState
    exit_code: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    elapsed_seconds: int | None = None


@dataclass(frozen=True)
class JobStatus:
    """A job's state; for a job array, the state of all its tasks together (running while one
    runs, final when all are, failed if one failed), `elapsed_seconds` the sum of the tasks'
    and `tasks` each task's."""

    scheduler_job_id: str
    state: SchedulerState
    exit_code: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    elapsed_seconds: int | None = None
    gpus: int | None = None
    reason: str = ""
    tasks: tuple[TaskStatus, ...] = ()


# The state of a finished array with a task that did not complete: the worst one's.
_ARRAY_OUTCOME = (SchedulerState.FAILED, SchedulerState.TIMEOUT, SchedulerState.CANCELLED)


def array_status(array_id: str, tasks: list[tuple[int, JobStatus]],
                 pending: bool) -> JobStatus:
    """A job array's state from its tasks' (`pending`: some tasks have not started yet):
    pending until a task starts, running while a task runs or waits, then completed if every
    task completed, else failed, timeout or cancelled (in that order), with the first such
    task named in the reason; `elapsed_seconds` is the sum of the tasks' (what is charged)."""
    ordered = sorted(tasks, key=lambda t: t[0])
    statuses = [s for _i, s in ordered]
    task_rows = tuple(TaskStatus(index=i, scheduler_job_id=s.scheduler_job_id, state=s.state,
                                 exit_code=s.exit_code, started_at=s.started_at,
                                 finished_at=s.finished_at, elapsed_seconds=s.elapsed_seconds)
                      for i, s in ordered)
    starts = [s.started_at for s in statuses if s.started_at is not None]
    gpus = next((s.gpus for s in statuses if s.gpus is not None), None)
    if pending or not statuses or any(not s.state.is_final for s in statuses):
        running = any(s.state == SchedulerState.RUNNING for s in statuses) or \
            any(s.state.is_final for s in statuses)
        return JobStatus(array_id, SchedulerState.RUNNING if running else SchedulerState.PENDING,
                         started_at=min(starts) if starts else None, gpus=gpus, tasks=task_rows)
    state = SchedulerState.COMPLETED
    reason = ""
    for outcome in _ARRAY_OUTCOME:
        bad = [(i, s) for i, s in ordered if s.state == outcome]
        if bad:
            state = outcome
            index, first = bad[0]
            reason = f"task {index} {outcome.value}" + (f": {first.reason}" if first.reason
                                                         else "")
            break
    codes = [s.exit_code for s in statuses if s.exit_code is not None]
    ends = [s.finished_at for s in statuses if s.finished_at is not None]
    return JobStatus(array_id, state, exit_code=max(codes, key=abs) if codes else None,
                     started_at=min(starts) if starts else None,
                     finished_at=max(ends) if ends else None,
                     elapsed_seconds=sum(s.elapsed_seconds or 0 for s in statuses),
                     gpus=gpus, reason=reason, tasks=task_rows)


@dataclass(frozen=True)
class QueuedJob:
    """A job in a factory's queue, whoever submitted it: running, or pending. Times are
    seconds from when the queue was read."""

    scheduler_job_id: str
    user: str
    partition: str  # pending jobs may name several, comma-separated
    running: bool
    gpus: int  # in all, over all its nodes
    nodes: int
    time_limit_seconds: float | None  # None: no limit known
    seconds_left: float | None = None  # running: until its time limit
    expected_start_seconds: float | None = None  # pending: the scheduler's estimate, if any


@dataclass(frozen=True)
class NodeState:
    """A node of a factory: its GPUs, how many are taken, and whether it takes new jobs."""

    name: str
    partitions: tuple[str, ...]  # () means every partition of the factory
    gpus: int
    gpus_used: int
    available: bool  # False when down, drained, draining, failing, not responding, ...
    state: str = ""


@dataclass(frozen=True)
class FactoryQueue:
    """A factory's live state, read in one or two calls (capability QUEUE): every user's
    running and pending jobs, and the nodes. Placement works from it."""

    jobs: tuple[QueuedJob, ...]
    nodes: tuple[NodeState, ...]


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str = ""
    latency_ms: float = 0.0
    # What the factory runs, when the connector can tell: e.g. "Slurm 24.11.5" and the
    # scheduler API version in use ("v0.0.42"); empty when unknown.
    release: str = ""
    api_version: str = ""


class JobRejected(AntennaError):
    """The scheduler refused the job as it stands; retrying will not help."""

    status_code = 400
    retryable = False
    code = "job_rejected"


class ConnectorTarget(Protocol):
    """What the registry needs of a factory to build its connector (a `factories.Factory`
    fits): connectors know no app, so they ask for these three attributes only."""

    @property
    def name(self) -> str: ...
    @property
    def connector(self) -> str: ...
    @property
    def connector_settings(self) -> Any: ...


class Connector(ABC):
    """Base class: submit, poll in bulk, cancel, accounting since, health, capabilities."""

    kind: str = ""
    capabilities: frozenset[Capability] = frozenset()
    # At most this many submits at once from the worker (None: ANTENNA_DISPATCH_PARALLEL).
    # 1 keeps the jobs in the order Antenna sends them, for a scheduler that serves them
    # first come, first served on arrival (the local sandbox).
    max_parallel_submits: int | None = None

    def __init__(self, factory_name: str, settings: dict[str, Any]) -> None:
        self.factory_name = factory_name
        self.settings = settings
        # In a worker cycle (`cycle_start`): what is read once per cycle may be kept.
        self.in_cycle = False

    def cycle_start(self) -> None:
        """A new worker cycle begins: forget what was read once for the last cycle (the
        registry calls it on the connectors of its scope, and on each one it makes there)."""
        self.in_cycle = True

    def close(self) -> None:  # noqa: B027 - a hook; most connectors hold nothing open
        """Release what the connector holds open (its HTTP connections)."""

    # -- public, logged and timed -------------------------------------------------------
    def submit(self, spec: JobSpec) -> str:
        """Start a job; returns the scheduler's job id."""
        return self._timed("submit", lambda: self._submit(spec), job=spec.antenna_job_id)

    def find(self, spec: JobSpec) -> str | None:
        """The scheduler id of a job already submitted under `spec.scheduler_name`, if any."""
        return self._timed("find", lambda: self._find(spec), job=spec.antenna_job_id)

    def poll(self, scheduler_job_ids: Iterable[str]) -> dict[str, JobStatus]:
        """The status of many jobs in one call (one request per factory per cycle)."""
        ids = list(scheduler_job_ids)
        if not ids:
            return {}
        return self._timed("poll", lambda: self._poll(ids), jobs=len(ids))

    def cancel(self, scheduler_job_id: str) -> None:
        self._timed("cancel", lambda: self._cancel(scheduler_job_id), job=scheduler_job_id)

    def accounting(self, scheduler_job_id: str) -> JobStatus | None:
        """The scheduler's accounting record of a finished job (elapsed time, GPUs)."""
        return self._timed("accounting", lambda: self._accounting(scheduler_job_id),
                           job=scheduler_job_id)

    def accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        return self._timed("accounting_since", lambda: self._accounting_since(since))

    def queue(self) -> FactoryQueue:
        """Every user's running and pending jobs and the node states (capability QUEUE)."""
        return self._timed("queue", self._queue)

    # -- accounts (capability ACCOUNTS) ---------------------------------------------------
    def account_name(self, allocation_id: int) -> str:
        """The scheduler's name of an allocation's account (e.g. `ant42`)."""
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def accounts(self) -> dict[int, AccountState]:
        """The accounts this installation made at the factory, by allocation id (accounts
        without its name prefix and ownership marker are never returned, hence never touched)."""
        return self._timed("accounts", self._accounts)

    def account_ensure(self, spec: AccountSpec) -> None:
        """Create the account with its limits (when missing)."""
        self._timed("account_ensure", lambda: self._account_ensure(spec),
                    allocation=spec.allocation_id)

    def account_set_limits(self, spec: AccountSpec) -> None:
        """Set an existing account's GPU-minute limit and hold (suspension)."""
        self._timed("account_set_limits", lambda: self._account_set_limits(spec),
                    allocation=spec.allocation_id)

    def association_add(self, allocation_id: int, user: str) -> None:
        self._timed("association_add", lambda: self._association_add(allocation_id, user),
                    allocation=allocation_id)

    def association_remove(self, allocation_id: int, user: str) -> None:
        self._timed("association_remove",
                    lambda: self._association_remove(allocation_id, user),
                    allocation=allocation_id)

    def account_jobs_since(self, since: dt.datetime) -> list[AccountJob]:
        """Finished jobs under Antenna's accounts, ended since `since`, that this installation
        did not submit (usage outside the gateway)."""
        return self._timed("account_jobs_since", lambda: self._account_jobs_since(since))

    def output_location(self, scheduler_job_id: str) -> str:
        """Where the job's output file is on the factory ("" if unknown): shown when Antenna
        cannot read it (no capability LOGS: no shared file system)."""
        return self._timed("output_location", lambda: self._output_location(scheduler_job_id),
                           job=scheduler_job_id)

    def read_log(self, scheduler_job_id: str, max_bytes: int = 65536) -> str:
        return self._timed("read_log", lambda: self._read_log(scheduler_job_id, max_bytes),
                           job=scheduler_job_id)

    @property
    def isolated(self) -> bool:
        """Jobs run isolated from each other and from Antenna (a real cluster's nodes are)."""
        return True

    def health(self) -> Health:
        started = time.monotonic()
        try:
            result = self._health()
        except FactoryUnavailable as exc:
            return Health(ok=False, detail=exc.message)
        except Exception as exc:
            return Health(ok=False, detail=f"{type(exc).__name__}: {exc}")
        return Health(ok=result.ok, detail=result.detail,
                      latency_ms=(time.monotonic() - started) * 1000,
                      release=result.release, api_version=result.api_version)

    def _timed(self, operation: str, call: Callable[[], T], **context: Any) -> T:
        started = time.monotonic()
        try:
            result = call()
        except AntennaError:
            log.warning("%s %s.%s failed %s", self.kind, self.factory_name, operation, context)
            raise
        except (OSError, TimeoutError) as exc:
            log.warning("%s %s.%s unreachable: %s", self.kind, self.factory_name, operation, exc)
            raise FactoryUnavailable(
                f"{self.factory_name}: {operation} failed: {exc}", retryable=True
            ) from exc
        log.debug("%s %s.%s %.1f ms %s", self.kind, self.factory_name, operation,
                  (time.monotonic() - started) * 1000, context)
        return result

    # -- private, the work -------------------------------------------------------------
    @abstractmethod
    def _submit(self, spec: JobSpec) -> str: ...

    @abstractmethod
    def _find(self, spec: JobSpec) -> str | None: ...

    @abstractmethod
    def _poll(self, ids: list[str]) -> dict[str, JobStatus]: ...

    @abstractmethod
    def _cancel(self, scheduler_job_id: str) -> None: ...

    @abstractmethod
    def _accounting(self, scheduler_job_id: str) -> JobStatus | None: ...

    @abstractmethod
    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]: ...

    @abstractmethod
    def _read_log(self, scheduler_job_id: str, max_bytes: int) -> str: ...

    @abstractmethod
    def _health(self) -> Health: ...

    def _output_location(self, scheduler_job_id: str) -> str:
        return ""

    def _queue(self) -> FactoryQueue:
        raise NotImplementedError(f"{self.kind} does not read the factory's queue (QUEUE)")

    def _accounts(self) -> dict[int, AccountState]:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def _account_ensure(self, spec: AccountSpec) -> None:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def _account_set_limits(self, spec: AccountSpec) -> None:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def _association_add(self, allocation_id: int, user: str) -> None:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def _association_remove(self, allocation_id: int, user: str) -> None:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")

    def _account_jobs_since(self, since: dt.datetime) -> list[AccountJob]:
        raise NotImplementedError(f"{self.kind} keeps no accounts (ACCOUNTS)")
