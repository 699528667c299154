"""What one slurmrestd OpenAPI version must provide, in version-neutral terms.

The connector speaks only these types; a module per API version (`v0_0_38.py`,
`v0_0_40.py`, `v0_0_41.py`, `v0_0_42.py`) builds the requests and parses the responses of that
version. Add a version by writing a module with a class that satisfies `SlurmApi` and listing
it in `versions.py`. This module holds only types: the version modules import it, never the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SlurmError:
    """One item of a response's `errors` array."""

    number: int | None
    text: str
    description: str = ""
    source: str = ""

    def __str__(self) -> str:
        parts = [self.text or self.description or "error"]
        if self.description and self.description != self.text:
            parts.append(f"({self.description})")
        if self.number is not None:
            parts.append(f"[{self.number}]")
        return " ".join(parts)


@dataclass(frozen=True)
class SubmitRequest:
    """A batch job to submit, already decided by the connector (paths, limits, environment)."""

    name: str
    partition: str
    script: str
    working_directory: str
    standard_output: str
    environment: dict[str, str]
    gpus: int
    time_limit_minutes: int
    comment: str
    cpus: int | None = None
    memory_mb: int | None = None
    nodes: int = 1  # > 1: `gpus` spread evenly, one launcher task per node
    account: str = ""  # the Slurm account to charge ("": the user's default account)
    array: str = ""  # a job array's indexes ("0-99%10"): one task per index

    @property
    def gpus_per_node(self) -> int:
        return self.gpus // max(1, self.nodes)


@dataclass(frozen=True)
class SubmitResult:
    job_id: str | None
    errors: list[SlurmError]


@dataclass(frozen=True)
class LiveJob:
    """A job as slurmctld sees it (`/slurm/.../job/{id}`, `/slurm/.../jobs`)."""

    job_id: str
    name: str
    comment: str
    user: str
    state: str
    reason: str
    raw_exit_status: int | None  # the wait(2) status: code << 8 | signal
    submit_time: int
    start_time: int
    end_time: int
    partition: str
    working_directory: str
    standard_output: str
    gpus: int | None
    allocated: bool  # nodes were allocated: False for a job refused or cancelled while pending
    # For the factory's queue (placement): the time limit (None: unlimited or unset), how
    # many nodes, and the GPUs asked for in all (`tres_req_str`; `gpus` is what was given).
    time_limit_minutes: int | None = None
    node_count: int = 1
    requested_gpus: int | None = None
    # A task of a job array: the array's id (what the submit answered) and its index; the
    # array's tasks not started yet are one record with the array's id and no index.
    array_job_id: str = ""
    array_task_id: int | None = None


@dataclass(frozen=True)
class NodeInfo:
    """A node as slurmctld sees it (`/slurm/.../nodes`)."""

    name: str
    state: str  # the base state, upper case: IDLE, MIXED, ALLOCATED, DOWN, ...
    flags: tuple[str, ...]  # DRAIN, NOT_RESPONDING, MAINTENANCE, ... (upper case)
    partitions: tuple[str, ...]
    gpus: int  # configured (`gres`)
    gpus_used: int  # allocated now (`gres_used`)


@dataclass(frozen=True)
class DbJob:
    """A job as slurmdbd's accounting records it (`/slurmdb/.../job/{id}`)."""

    job_id: str
    name: str
    comment: str
    user: str
    state: str
    start_time: int
    end_time: int
    elapsed_seconds: int | None
    partition: str
    working_directory: str
    gpus: int | None
    allocated: bool
    complete: bool  # False while slurmdbd still holds the first, partial record
    account: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    array_job_id: str = ""  # a task of a job array: the array's id and the task's index
    array_task_id: int | None = None


@dataclass(frozen=True)
class SlurmAccount:
    """A Slurm account as slurmdbd holds it (`/slurmdb/.../accounts` and `/associations`):
    its GrpTRESMins on GPUs and GrpJobs (account association), and its users' associations."""

    name: str
    description: str
    organization: str
    cluster: str = ""  # "" when the account has no association on any cluster
    gpu_minutes: int | None = None  # GrpTRESMins gres/gpu; None: no limit
    max_running_jobs: int | None = None  # GrpJobs; None: no limit (0: nothing new starts)
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpCall:
    method: str
    path: str
    body: dict[str, Any] | None = None


class SlurmApi(Protocol):
    """Requests and parsers of one slurmrestd OpenAPI version."""

    version: str

    def ping(self) -> HttpCall: ...
    def submit_request(self, request: SubmitRequest) -> HttpCall: ...
    def job(self, job_id: str) -> HttpCall: ...
    def jobs(self) -> HttpCall: ...
    def cancel(self, job_id: str) -> HttpCall: ...
    def db_job(self, job_id: str) -> HttpCall: ...
    def db_jobs_since(self, seconds_ago: int) -> HttpCall: ...
    def nodes(self) -> HttpCall: ...
    def db_accounts(self) -> HttpCall: ...
    def db_associations(self) -> HttpCall: ...
    def account_create(self, account: SlurmAccount) -> list[HttpCall]: ...
    def account_limits(self, account: SlurmAccount) -> HttpCall | None: ...
    def association_add(self, account: str, cluster: str, user: str) -> HttpCall: ...
    def association_remove(self, account: str, cluster: str, user: str) -> HttpCall: ...

    def parse_errors(self, body: dict[str, Any]) -> list[SlurmError]: ...
    def parse_ping(self, body: dict[str, Any]) -> tuple[bool, str]: ...
    def parse_release(self, body: dict[str, Any]) -> str: ...
    def parse_submit(self, body: dict[str, Any]) -> SubmitResult: ...
    def parse_jobs(self, body: dict[str, Any]) -> list[LiveJob]: ...
    def parse_db_jobs(self, body: dict[str, Any]) -> list[DbJob]: ...
    def parse_nodes(self, body: dict[str, Any]) -> list[NodeInfo]: ...
    def parse_accounts(self, accounts: dict[str, Any],
                       associations: dict[str, Any]) -> list[SlurmAccount]: ...
