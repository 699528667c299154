"""The `slurmrest` connector: a factory's Slurm, reached through slurmrestd with a JWT.

Settings (`Factory.connector_settings`, never a secret):

    url            slurmrestd base URL, e.g. http://slurm.example.org:6820
    user           the service account jobs run as (X-SLURM-USER-NAME)
    token_file     file holding the JWT (`SLURM_JWT=...` as printed by `scontrol token` is
                   accepted), re-read on every call: rotating the token = rewriting the file
    token_env      or: the environment variable holding the JWT (also read on every call)
    api_version    slurmrestd OpenAPI version: auto (default: the newest the server offers in
                   GET /openapi/v3 and Antenna speaks), v0.0.38, v0.0.40, v0.0.41 or v0.0.42
    detected_api_version  what `auto` found, recorded by Antenna from the worker's health probe
                   (used instead of asking again; the probe asks afresh every 10 minutes)
    workdir        where job directories go: `<workdir>/antenna-<id>/` (default /tmp)
    partition      the partition used when the job's placement names none
    timeout        seconds per HTTP request (default 30)
    identity_mode  community (jobs run as `user`) or per_user (set from the factory's identity
                   mode: each job is submitted with X-SLURM-USER-NAME = the person's verified
                   username there, so `user`'s token must be SlurmUser's or root's)
    instance       optional tag written into every job's comment; set it when several Antenna
                   installations (or test runs) share one cluster account, so that finding a
                   job by name never picks another installation's `antenna-<id>`
    request_cpus_memory  also send the job's CPUs and memory (default false: GPUs only)
    find_lookback_hours  how far back accounting is searched for a lost job (default 6)
    accounts       true: each allocation is a Slurm account here (capability ACCOUNTS), kept
                   through slurmdbd's REST API; `user`'s token must be root's or SlurmUser's
                   (or an AdminLevel=Operator user's); see docs/identity.md
    account_prefix the accounts' name prefix (default `ant`: `ant<allocation id>`; lower case
                   letters, digits, `_`, not ending in a digit); `instance` also goes into
                   their ownership marker
    cluster        the cluster name in slurmdbd (default: the only one it holds)
    accounts_user  who the account reads and writes are made as (X-SLURM-USER-NAME; default
                   `user`): e.g. `root` on a community factory whose token is root's, while
                   jobs run as `user`

Logs (capability LOGS) are offered only when `workdir` exists on this machine, i.e. the
cluster's file system is shared with Antenna (on the loopback test clusters it is). Then the
job directory is created here before submission and handed to the job user.

Error model: a transport failure (refused or reset connection, timeout, non-JSON answer) is
`FactoryUnavailable` (retryable; idempotent GETs are retried a few times first). Slurm refusing
the job (unknown partition, more GPUs than a node has, walltime over MaxTime, bad request) is
`JobRejected` with Slurm's text. Other errors are checked against the token: slurmrestd answers
a bad token with the same HTTP 500 as anything else, so the connector pings (200 only with a
valid token) and, if the ping fails, asks slurmdbd, which names the problem ("Protocol
authentication error"). A rejected token is `FactoryUnavailable` with "token rejected: rotate
the token file", since retrying after the rotation works.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import os
import pwd
import re
import time
from pathlib import Path
from typing import Any, NoReturn

import requests
from requests.adapters import HTTPAdapter

from antenna.connectors.base import (
    AccountJob,
    AccountSpec,
    AccountState,
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
    array_status,
)
from antenna.connectors.slurmrest.protocol import (
    DbJob,
    HttpCall,
    LiveJob,
    NodeInfo,
    SlurmAccount,
    SlurmApi,
    SlurmError,
    SubmitRequest,
)
from antenna.connectors.slurmrest.versions import AUTO, api_for, newest_offered, offered_versions
from antenna.core.errors import FactoryUnavailable

log = logging.getLogger("antenna.connectors.slurmrest")

DEFAULT_API_VERSION = AUTO
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
GET_ATTEMPTS = 3
SUBMIT_ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.5, 1.0)
# requests' errors (ConnectionError, Timeout, ...) are OSErrors.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
# Connections kept open to one slurmrestd: enough for the worker's parallel submits
# (ANTENNA_DISPATCH_PARALLEL); more are opened when needed, and closed after their request.
KEEP_ALIVE_CONNECTIONS = 16
# What Antenna writes at the start of a job's comment (see SlurmRestConnector._comment).
COMMENT_TAG = re.compile(r"antenna:job=(?P<job>[0-9]+)(?:,instance=(?P<instance>[A-Za-z0-9_.-]+))?"
                         r"(?: \| |\Z)")
# What Antenna writes at the start of the description of each account it makes: the same
# strict shape, parsed only at the start (see SlurmRestConnector._account_description).
ACCOUNT_TAG = re.compile(r"antenna:allocation=(?P<allocation>[0-9]+)"
                         r"(?:,instance=(?P<instance>[A-Za-z0-9_.-]+))?(?: \| |\Z)")
ACCOUNT_ORGANIZATION = "antenna"

STATES: dict[str, SchedulerState] = {
    "PENDING": SchedulerState.PENDING,
    "CONFIGURING": SchedulerState.PENDING,
    "REQUEUED": SchedulerState.PENDING,
    "RESV_DEL_HOLD": SchedulerState.PENDING,
    "REQUEUE_HOLD": SchedulerState.PENDING,
    "REQUEUE_FED": SchedulerState.PENDING,
    "SUSPENDED": SchedulerState.RUNNING,
    "RUNNING": SchedulerState.RUNNING,
    "COMPLETING": SchedulerState.RUNNING,
    "STAGE_OUT": SchedulerState.RUNNING,
    "SIGNALING": SchedulerState.RUNNING,
    "RESIZING": SchedulerState.RUNNING,
    "COMPLETED": SchedulerState.COMPLETED,
    "FAILED": SchedulerState.FAILED,
    "NODE_FAIL": SchedulerState.FAILED,
    "OUT_OF_MEMORY": SchedulerState.FAILED,
    "BOOT_FAIL": SchedulerState.FAILED,
    "PREEMPTED": SchedulerState.FAILED,
    "REVOKED": SchedulerState.FAILED,
    "SPECIAL_EXIT": SchedulerState.FAILED,
    "CANCELLED": SchedulerState.CANCELLED,
    "TIMEOUT": SchedulerState.TIMEOUT,
    "DEADLINE": SchedulerState.TIMEOUT,
}

# Node states and flags that take no new job: such a node is not capacity.
NODE_UNAVAILABLE = frozenset({
    "DOWN", "DRAIN", "DRAINED", "DRAINING", "FAIL", "FAILING", "FUTURE", "UNKNOWN",
    "NOT_RESPONDING", "MAINTENANCE", "POWERED_DOWN", "POWERING_DOWN", "POWER_DOWN",
    "REBOOT_REQUESTED", "REBOOT_ISSUED", "INVALID", "INVALID_REG",
})

# Error numbers (slurm_errno.h) and what they mean to the connector.
ESLURM_INVALID_JOB_ID = 2017
ESLURM_ALREADY_DONE = 2021
ESLURM_ACCESS_DENIED = 2002
NOTHING_FOUND = 9003  # slurmdb: no such job
AUTH_ERROR = 1007  # "Protocol authentication error" (slurmdbd on a bad token)


# Reasons a pending job keeps until it is changed: Slurm will never start it as it stands.
NEVER_STARTS = {
    "PartitionTimeLimit": "its walltime is over the partition's limit",
    "PartitionNodeLimit": "it asks for more nodes than the partition allows a job",
    "PartitionConfig": "it asks for more than the partition's configuration allows",
}


def _refusal(errors: list[SlurmError], status: int) -> bool:
    """Slurm refused the request as it stands (ESLURM_* 2000-2999, or a body parse error)."""
    return status == 400 or any(
        e.number is not None and (2000 <= e.number < 3000 or 9000 <= e.number < 9100)
        for e in errors
    )


def _text(errors: list[SlurmError], status: int) -> str:
    return "; ".join(str(e) for e in errors) or f"HTTP {status}"


def _when(epoch: int) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC) if epoch > 0 else None


def exit_code_from_wait_status(raw: int) -> tuple[int, int]:
    """(exit code, signal) of a wait(2) status: `exit 3` is 768 -> (3, 0); SIGTERM 15 -> (0, 15)."""
    return (raw >> 8) & 0xFF, raw & 0x7F


def queue_from(jobs: list[LiveJob], nodes: list[NodeInfo], *, now: float) -> FactoryQueue:
    """The factory's queue from slurmctld's job and node lists (pure): running and pending
    jobs only, times in seconds from `now`; a pending job's `start_time` is Slurm's expected
    start (0 until the backfill scheduler has estimated one)."""
    queued: list[QueuedJob] = []
    for job in jobs:
        state = STATES.get(job.state, SchedulerState.UNKNOWN)
        if state not in (SchedulerState.RUNNING, SchedulerState.PENDING):
            continue
        running = state == SchedulerState.RUNNING
        limit = job.time_limit_minutes * 60.0 if job.time_limit_minutes is not None else None
        left: float | None = None
        if running:
            end = job.end_time if job.end_time > 0 else (
                job.start_time + limit if limit is not None and job.start_time > 0 else 0)
            left = max(0.0, end - now) if end > 0 else None
        expected = (max(0.0, job.start_time - now)
                    if not running and job.start_time > 0 else None)
        queued.append(QueuedJob(
            scheduler_job_id=job.job_id, user=job.user, partition=job.partition,
            running=running,
            gpus=(job.gpus if running and job.gpus is not None else job.requested_gpus) or 0,
            nodes=job.node_count, time_limit_seconds=limit, seconds_left=left,
            expected_start_seconds=expected))
    states = tuple(NodeState(
        name=node.name, partitions=node.partitions, gpus=node.gpus,
        gpus_used=min(node.gpus_used, node.gpus),
        available=not ({node.state, *node.flags} & NODE_UNAVAILABLE),
        state="+".join((node.state, *node.flags)).lower(),
    ) for node in nodes)
    return FactoryQueue(jobs=tuple(queued), nodes=states)


def _label(text: str, limit: int) -> str:
    """Free text made safe for a one-line label: no control characters, runs of blanks as one
    space, at most `limit` characters."""
    return re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip()[:limit]


class SlurmRestConnector(Connector):
    """Submits, polls, cancels and accounts jobs through slurmrestd (see the module docstring)."""

    def __init__(self, factory_name: str, settings: dict[str, Any]) -> None:
        super().__init__(factory_name, settings)
        self.url = str(settings.get("url") or "").rstrip("/")
        self.user = str(settings.get("user") or "")
        self.token_file = str(settings.get("token_file") or "")
        self.token_env = str(settings.get("token_env") or "")
        self.workdir = str(settings.get("workdir") or "/tmp")  # noqa: S108 - a cluster path
        self.partition = str(settings.get("partition") or "")
        self.timeout = float(settings.get("timeout") or 30)
        # Only letters, digits, `_`, `.` and `-`: the tag is parsed back by COMMENT_TAG.
        self.instance = re.sub(r"[^A-Za-z0-9_.-]", "_", str(settings.get("instance") or ""))
        self.request_cpus_memory = bool(settings.get("request_cpus_memory", False))
        self.per_user = settings.get("identity_mode") == "per_user"
        self.find_lookback_seconds = int(float(settings.get("find_lookback_hours", 6)) * 3600)
        self.manage_accounts = settings.get("accounts") in (True, "true", "1", "yes")
        self.account_prefix = str(settings.get("account_prefix") or "ant").lower()
        self.cluster = str(settings.get("cluster") or "")
        self.accounts_user = str(settings.get("accounts_user") or "")
        self.config_error = ""
        self.api: SlurmApi | None = None
        self.api_version = str(settings.get("api_version") or DEFAULT_API_VERSION)
        self.release = ""  # the Slurm release, once a ping has told it
        try:
            if self.api_version != AUTO:
                self.api = api_for(self.api_version)
            elif settings.get("detected_api_version"):
                self.api = api_for(str(settings["detected_api_version"]))
        except ValueError as exc:
            self.config_error = str(exc)
        if not self.url or not self.user or not (self.token_file or self.token_env):
            self.config_error = "slurmrest needs url, user and token_file or token_env"
        # Not ending in a digit: `ab1` + `23` must not read as `ab` + `123`.
        if not re.fullmatch(r"[a-z](?:[a-z0-9_]{0,14}[a-z_])?", self.account_prefix):
            self.config_error = ("account_prefix: a lower-case letter, then letters, digits "
                                 "or `_`, ending in a letter or `_` (at most 16)")
        self.workdir_is_local = os.path.isdir(self.workdir)
        # Declared here, once: logs only when the job's output files are readable from here.
        self.capabilities = frozenset(
            {Capability.CANCEL, Capability.ACCOUNTING, Capability.FIND_BY_NAME,
             Capability.QUEUE, Capability.ARRAYS}
            | ({Capability.LOGS} if self.workdir_is_local else set())
            | ({Capability.ACCOUNTS} if self.manage_accounts else set()))
        # One keep-alive HTTP session per connector, reused by every call (and by the
        # worker's parallel submits: requests' connection pool is thread-safe); no proxy
        # from the environment, as before.
        self._session = requests.Session()
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=KEEP_ALIVE_CONNECTIONS)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

        # slurmdbd's recent jobs, read once per worker cycle (see `_db_jobs_since`).
        self._since_read: tuple[float, int, dict[str, Any]] | None = None

    def close(self) -> None:
        self._session.close()

    def cycle_start(self) -> None:
        super().cycle_start()
        self._since_read = None

    # -- transport -----------------------------------------------------------------------
    def _unavailable(self, message: str) -> FactoryUnavailable:
        return FactoryUnavailable(f"{self.factory_name}: {message}", retryable=True)

    def _slurm(self) -> SlurmApi:
        if self.config_error:
            raise self._unavailable(f"misconfigured: {self.config_error}")
        if self.api is None:
            self.api = self._negotiate()
        return self.api

    def _negotiate(self) -> SlurmApi:
        """`api_version: auto`: the newest version the server's OpenAPI document offers."""
        status, body = self._get(HttpCall("GET", "/openapi/v3"))
        if status >= 300 or not body.get("paths"):
            raise self._unavailable(f"cannot read the API versions offered (GET /openapi/v3 "
                                    f"answered HTTP {status})")
        version = newest_offered(body)
        if version is None:
            raise self._unavailable(
                "slurmrestd offers none of the API versions Antenna speaks (it offers "
                f"{', '.join(offered_versions(body)) or 'none'}): set api_version")
        log.info("%s: slurmrestd offers %s; using %s", self.factory_name,
                 ", ".join(offered_versions(body)), version)
        return api_for(version)

    def _token(self) -> str:
        """The JWT, read afresh on every call (rotation = rewriting the file); never logged."""
        if self.token_file:
            try:
                text = Path(self.token_file).read_text()
            except OSError as exc:
                raise self._unavailable(
                    f"cannot read the token file {self.token_file}: {exc.strerror or exc}"
                ) from exc
        else:
            text = os.environ.get(self.token_env, "")
        token = text.strip()
        if token.startswith("SLURM_JWT="):
            token = token[len("SLURM_JWT="):].strip()
        if not token:
            where = self.token_file or f"${self.token_env}"
            raise self._unavailable(f"no token in {where}: write the JWT there")
        return token

    def _send(self, call: HttpCall, run_as: str = "") -> tuple[int, dict[str, Any]]:
        """One HTTP exchange, as `run_as` when given (per_user) else as the service account;
        transport errors propagate (OSError / HTTPException)."""
        data = json.dumps(call.body).encode() if call.body is not None else None
        headers = {"X-SLURM-USER-NAME": run_as or self.user,
                   "X-SLURM-USER-TOKEN": self._token(), "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        response = self._session.request(call.method, self.url + call.path, data=data,
                                         headers=headers, timeout=self.timeout)
        status, raw = response.status_code, response.content
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status in (401, 403):
                raise self._unavailable(f"token rejected: rotate the token file (HTTP {status})")
            raise self._unavailable(f"{call.method} {call.path.split('?')[0]} answered HTTP "
                                    f"{status} without JSON: {raw[:200]!r}")
        if status in (401, 403):
            raise self._unavailable(f"token rejected: rotate the token file (HTTP {status})")
        return status, body

    def _get(self, call: HttpCall, attempts: int = GET_ATTEMPTS,
             run_as: str = "") -> tuple[int, dict[str, Any]]:
        """A GET (a read), retried a few times with a short back-off."""
        assert call.method == "GET", call.method
        return self._retried(call, attempts, run_as)

    def _delete(self, call: HttpCall) -> tuple[int, dict[str, Any]]:
        """A DELETE (cancelling twice is harmless, so it is retried like a read)."""
        assert call.method == "DELETE", call.method
        return self._retried(call, GET_ATTEMPTS)

    def _retried(self, call: HttpCall, attempts: int,
                 run_as: str = "") -> tuple[int, dict[str, Any]]:
        """An idempotent request, retried a few times with a short back-off."""
        last: BaseException | None = None
        for attempt in range(attempts):
            try:
                return self._send(call, run_as)
            except TRANSPORT_ERRORS as exc:
                last = exc
                log.info("%s: %s %s failed (%s), attempt %s of %s", self.factory_name,
                         call.method, call.path, exc, attempt + 1, attempts)
                if attempt + 1 < attempts:
                    time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
        raise self._unavailable(f"slurmrestd at {self.url} unreachable "
                                f"({call.method} {call.path.split('?')[0]}): {last}") from last

    def _token_rejected(self) -> bool:
        """Tell a bad token from a sick controller: ping needs a valid token; slurmdbd says
        "Protocol authentication error" outright (slurmctld's answer is the same -1 for a bad
        token and for a controller that does not answer)."""
        api = self._slurm()
        try:
            status, body = self._get(api.ping(), attempts=1)
            # v0.0.4x answers a bad token's ping with 200 and "pinged: DOWN"
            if status == 200 and not api.parse_errors(body) and api.parse_ping(body)[0]:
                return False
            status, body = self._get(api.db_job("1"), attempts=1)
        except FactoryUnavailable as exc:
            return "token rejected" in exc.message
        # 22.05: 1007 "Protocol authentication error"; 24.11: 7000 "Unable to connect to
        # database" described as "Failed to open slurmdbd connection, authentication error"
        return any(e.number == AUTH_ERROR or "authentication error" in e.description.lower()
                   for e in api.parse_errors(body))

    def _fail(self, what: str, errors: list[SlurmError], status: int) -> NoReturn:
        """An error that is not a refusal of the job: the token, or the cluster."""
        text = _text(errors, status)
        if any(e.number == AUTH_ERROR for e in errors) or self._token_rejected():
            raise self._unavailable(f"token rejected: rotate the token file ({what}: {text})")
        raise self._unavailable(f"{what} failed: {text}")

    # -- naming: how a job carries its Antenna id to Slurm ------------------------------
    # The comment is `antenna:job=<id>[,instance=<tag>]`, then ` | ` and the job's name as a
    # label for whoever reads sacct. Only the prefix is ever parsed, and strictly (the whole
    # prefix, anchored at the start): the label is the user's text and is never looked at, so
    # no name (`antenna-instance=...`, `antenna:job=...`, newlines) can claim or disown a job.
    # The prefix differs from the former `antenna-job=<id> antenna-instance=<tag> <name>`,
    # whose tags a name could forge; jobs tagged that way are no longer recognised by `find`.
    # After the name, the label names who the job is for (user, organisation, allocation), so
    # the site can trace it; it is a label like the name, never parsed.
    def _comment(self, spec: JobSpec) -> str:
        tag = f"antenna:job={spec.antenna_job_id}"
        if self.instance:
            tag += f",instance={self.instance}"
        parts = [_label(spec.name, 80)]
        for key, value, limit in (("user", spec.owner, 64), ("org", spec.organization, 80),
                                  ("allocation", spec.allocation, 40)):
            if _label(value, limit):
                parts.append(f"{key}={_label(value, limit)}")
        label = " ; ".join(p for p in parts if p)
        return tag + (f" | {label}" if label else "")

    def _job_user(self, spec: JobSpec) -> str:
        """Who a job runs as: the person's site username (per_user) or the service account."""
        return spec.run_as or self.user

    def _is_ours(self, spec: JobSpec, name: str, comment: str, user: str) -> bool:
        expected = self._job_user(spec)
        if name != spec.scheduler_name or (expected and user and user != expected):
            return False
        match = COMMENT_TAG.match(comment)
        if match is None or match["job"] != str(spec.antenna_job_id):
            return False
        return (match["instance"] or "") == self.instance

    # -- submit --------------------------------------------------------------------------
    def _job_directory(self, spec: JobSpec) -> tuple[str, str]:
        """(working directory, standard_output) for a job; created here if the file system is
        shared, and handed to the job user (jobs run as `user`, not as Antenna)."""
        if not self.workdir_is_local:
            return self.workdir, f"{self.workdir}/{spec.scheduler_name}-%j.out"
        path = Path(self.workdir) / spec.scheduler_name
        path.mkdir(parents=True, exist_ok=True)
        try:
            account = pwd.getpwnam(self._job_user(spec))
        except KeyError:
            account = None
        if account is not None and os.geteuid() == 0:
            os.chown(path, account.pw_uid, account.pw_gid)
        elif account is None or account.pw_uid != os.geteuid():
            path.chmod(0o777)  # the job user must write its output here
        return str(path), f"{path}/slurm-%j.out"

    def _submit_request(self, spec: JobSpec) -> SubmitRequest:
        cwd, output = self._job_directory(spec)
        environment = {
            "PATH": str(self.settings.get("path") or DEFAULT_PATH),
            "ANTENNA_JOB_ID": str(spec.antenna_job_id),
            "ANTENNA_FACTORY": self.factory_name,
            "ANTENNA_GPUS": str(spec.gpus),
            **{str(k): str(v) for k, v in spec.environment.items()},
        }
        return SubmitRequest(
            name=spec.scheduler_name, partition=spec.partition or self.partition,
            script=spec.script, working_directory=cwd, standard_output=output,
            environment=environment, gpus=spec.gpus, time_limit_minutes=spec.walltime_minutes,
            comment=self._comment(spec),
            cpus=spec.cpus if self.request_cpus_memory else None,
            memory_mb=spec.memory_mb if self.request_cpus_memory else None,
            nodes=max(1, spec.nodes), array=spec.array,
            account=spec.account,
        )

    def _submit(self, spec: JobSpec) -> str:
        if self.per_user and not spec.run_as:
            raise JobRejected(f"{self.factory_name} runs jobs under each person's own account; "
                              "this job names none (link and verify a site account)")
        api = self._slurm()
        call = api.submit_request(self._submit_request(spec))
        last: BaseException | None = None
        for attempt in range(SUBMIT_ATTEMPTS):
            try:
                status, body = self._send(call, run_as=spec.run_as)
            except TRANSPORT_ERRORS as exc:
                # The request may have reached slurmctld before the connection broke: look for
                # the job by its name before sending it again, so it never runs twice.
                last = exc
                log.warning("%s: submit of %s broke (%s); looking for it before retrying",
                            self.factory_name, spec.scheduler_name, exc)
                time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
                found = self._find(spec)
                if found:
                    return found
                continue
            return self._accepted(spec, status, body)
        raise self._unavailable(f"submit failed: {last}") from last

    def _accepted(self, spec: JobSpec, status: int, body: dict[str, Any]) -> str:
        api = self._slurm()
        result = api.parse_submit(body)
        if result.job_id and not result.errors and status < 300:
            return result.job_id
        text = _text(result.errors, status)
        if result.job_id:
            # e.g. time_limit over MaxTime: 200, a job id AND an error; the job would pend
            # forever (PartitionConfig). Take it back and refuse.
            try:
                self._cancel(result.job_id)
            except FactoryUnavailable as exc:
                log.warning("%s: could not cancel refused job %s: %s", self.factory_name,
                            result.job_id, exc.message)
            raise JobRejected(f"{self.factory_name} refused the job: {text}")
        if _refusal(result.errors, status):
            raise JobRejected(f"{self.factory_name} refused the job: {text}")
        self._fail("submit", result.errors, status)

    # -- find ----------------------------------------------------------------------------
    def _find(self, spec: JobSpec) -> str | None:
        api = self._slurm()
        status, body = self._get(api.jobs())
        errors = api.parse_errors(body)
        if errors or status >= 300:
            self._fail("list jobs", errors, status)
        live = [j for j in api.parse_jobs(body) if self._is_ours(spec, j.name, j.comment, j.user)]
        # A job that ended without nodes (refused, or cancelled while pending because it was
        # refused) does not count: submitting again cannot run anything twice. (Slurm sets its
        # start_time to its end_time, so only the missing nodes tell.)
        ran = [j for j in live if j.allocated
               or not STATES.get(j.state, SchedulerState.UNKNOWN).is_final]
        if ran:
            ran.sort(key=lambda j: (not STATES.get(j.state, SchedulerState.UNKNOWN).is_final,
                                    int(j.job_id) if j.job_id.isdigit() else 0))
            return ran[-1].array_job_id or ran[-1].job_id  # an array: its id, not a task's
        # Gone from slurmctld (MinJobAge): only accounting still knows it.
        status, body = self._get(api.db_jobs_since(self.find_lookback_seconds))
        errors = [e for e in api.parse_errors(body) if e.number != NOTHING_FOUND]
        if errors:
            self._fail("search accounting", errors, status)
        done = [j for j in api.parse_db_jobs(body)
                if self._is_ours(spec, j.name, j.comment, j.user) and j.allocated]
        if not done:
            return None
        last = max(done, key=lambda j: int(j.job_id))
        return last.array_job_id or last.job_id

    # -- poll ----------------------------------------------------------------------------
    def _poll(self, ids: list[str]) -> dict[str, JobStatus]:
        api = self._slurm()
        status, body = self._get(api.jobs())  # one request for every job of this factory
        errors = api.parse_errors(body)
        if errors or status >= 300:
            self._fail("list jobs", errors, status)
        jobs = api.parse_jobs(body)
        live = {j.job_id: j for j in jobs}
        arrays: dict[str, list[LiveJob]] = {}  # a job array's records (tasks, tasks pending)
        for j in jobs:
            if j.array_job_id:
                arrays.setdefault(j.array_job_id, []).append(j)
        out: dict[str, JobStatus] = {}
        for job_id in ids:
            if job_id in arrays:
                out[job_id] = self._array_live_status(job_id, arrays[job_id])
            elif job_id in live:
                out[job_id] = self._live_status(live[job_id])
                if (out[job_id].state == SchedulerState.PENDING
                        and live[job_id].reason in NEVER_STARTS):
                    out[job_id] = self._never_starts(live[job_id])
            else:  # ended more than MinJobAge ago: accounting has the outcome
                try:
                    record = self._db_record(job_id)
                except FactoryUnavailable as exc:  # slurmdbd down: the live jobs still count
                    out[job_id] = JobStatus(job_id, SchedulerState.UNKNOWN, reason=exc.message)
                    continue
                if record is None:
                    out[job_id] = JobStatus(job_id, SchedulerState.UNKNOWN,
                                            reason="no such job")
                elif isinstance(record, list):
                    out[job_id] = array_status(job_id, [
                        (r.array_task_id or 0, self._db_status(r)) for r in record], False)
                else:
                    out[job_id] = self._db_status(record)
        return out

    def _array_live_status(self, array_id: str, records: list[LiveJob]) -> JobStatus:
        """A job array from slurmctld: each task's record, and one record (no index) for the
        tasks not started yet; taken back if Slurm will never start those."""
        waiting = [r for r in records if r.array_task_id is None]
        for record in waiting:
            if record.reason in NEVER_STARTS:
                return self._never_starts(record)
        tasks = [(r.array_task_id, self._live_status(r)) for r in records
                 if r.array_task_id is not None]
        pending = any(not STATES.get(r.state, SchedulerState.UNKNOWN).is_final
                      for r in waiting)
        return array_status(array_id, [(i, s) for i, s in tasks if i is not None], pending)

    def _never_starts(self, job: LiveJob) -> JobStatus:
        """A pending job Slurm will never start as it stands (Slurm 24.11 accepts a walltime
        over the partition's MaxTime and leaves the job pending with `PartitionTimeLimit`,
        where 22.05 refused it at submission): take it back and report it failed, so its
        reservation is released instead of waiting forever."""
        try:
            self._cancel(job.job_id)
        except FactoryUnavailable as exc:
            log.warning("%s: could not cancel job %s that never starts: %s", self.factory_name,
                        job.job_id, exc.message)
        return JobStatus(job.job_id, SchedulerState.FAILED,
                         finished_at=dt.datetime.now(tz=dt.UTC), elapsed_seconds=0,
                         reason=f"{self.factory_name} will never start it: "
                                f"{NEVER_STARTS[job.reason]} ({job.reason})")

    def _live_status(self, job: LiveJob) -> JobStatus:
        state = STATES.get(job.state, SchedulerState.UNKNOWN)
        reason = "" if job.reason in ("", "None") else job.reason
        exit_code: int | None = None
        if state.is_final and job.raw_exit_status is not None:
            code, signal = exit_code_from_wait_status(job.raw_exit_status)
            exit_code = 128 + signal if signal else code
            if signal:
                reason = f"{reason}; killed by signal {signal}".lstrip("; ")
            if state == SchedulerState.COMPLETED and exit_code != 0:
                state = SchedulerState.FAILED
        if job.state == "PREEMPTED":
            reason = f"preempted by the scheduler{'; ' + reason if reason else ''}"
        elif job.state in ("NODE_FAIL", "BOOT_FAIL", "OUT_OF_MEMORY") and job.state not in reason:
            reason = f"{job.state}{'; ' + reason if reason else ''}"
        started = _when(job.start_time) if state != SchedulerState.PENDING else None
        finished = _when(job.end_time) if state.is_final else None
        elapsed = (max(0, job.end_time - job.start_time)
                   if state.is_final and job.start_time > 0 else None)
        return JobStatus(job.job_id, state, exit_code=exit_code, started_at=started,
                         finished_at=finished, elapsed_seconds=elapsed, gpus=job.gpus,
                         reason=reason)

    # -- the factory's queue -------------------------------------------------------------
    def _queue(self) -> FactoryQueue:
        """Two requests: `GET jobs` (every user's) and `GET nodes`."""
        api = self._slurm()
        status, body = self._get(api.jobs())
        errors = api.parse_errors(body)
        if errors or status >= 300:
            self._fail("list jobs", errors, status)
        jobs = api.parse_jobs(body)
        status, body = self._get(api.nodes())
        errors = api.parse_errors(body)
        if errors or status >= 300:
            self._fail("list nodes", errors, status)
        return queue_from(jobs, api.parse_nodes(body), now=time.time())

    # -- accounting ----------------------------------------------------------------------
    def _db_record(self, job_id: str) -> DbJob | list[DbJob] | None:
        """The job's accounting record; for a job array, its tasks' records (a list)."""
        api = self._slurm()
        status, body = self._get(api.db_job(job_id))
        errors = api.parse_errors(body)
        if any(e.number == NOTHING_FOUND for e in errors):
            return None
        if errors or status >= 300:
            self._fail("accounting", errors, status)
        parsed = api.parse_db_jobs(body)
        tasks = [r for r in parsed if r.array_job_id == job_id and r.array_task_id is not None]
        if tasks:
            return tasks
        records = [r for r in parsed if r.job_id == job_id]
        return records[-1] if records else None

    @staticmethod
    def _db_status(record: DbJob) -> JobStatus:
        state = STATES.get(record.state, SchedulerState.UNKNOWN)
        # slurmdbd 22.05 reports exit code 0 even for failed jobs: only the state is trusted.
        return JobStatus(
            record.job_id, state,
            exit_code=0 if state == SchedulerState.COMPLETED else None,
            started_at=_when(record.start_time),
            finished_at=_when(record.end_time) if state.is_final else None,
            elapsed_seconds=record.elapsed_seconds if state.is_final else None,
            gpus=record.gpus,
            reason="preempted by the scheduler" if record.state == "PREEMPTED" else "",
        )

    def _accounting(self, scheduler_job_id: str) -> JobStatus | None:
        record = self._db_record(scheduler_job_id)
        if isinstance(record, list):  # a job array: final once every task recorded is
            if not all(r.complete for r in record):
                return None
            status = array_status(scheduler_job_id, [
                (r.array_task_id or 0, self._db_status(r)) for r in record], False)
            return status if status.state.is_final else None
        if record is None or not record.complete:
            return None  # not recorded yet, or the first partial record: ask again later
        status = self._db_status(record)
        return status if status.state.is_final else None

    def _db_jobs_since(self, since: dt.datetime) -> dict[str, Any]:
        """slurmdbd's jobs since `since` (and a minute more), read once per worker cycle:
        settling (`_accounting_since`) and the usage outside the gateway
        (`_account_jobs_since`) both read it, and share one read while it reaches back far
        enough (both filter the records by their own `since`). Only an answer without
        errors is kept, and only in a worker cycle; `cycle_start` forgets it. A job that
        ends after the read is settled from the next cycle's read."""
        api = self._slurm()
        now = time.time()
        seconds = int((dt.datetime.now(dt.UTC) - since).total_seconds()) + 60
        if self._since_read is not None:
            read_at, covered, body = self._since_read
            if read_at - covered <= now - seconds:
                return body
        status, body = self._get(api.db_jobs_since(seconds))
        errors = [e for e in api.parse_errors(body) if e.number != NOTHING_FOUND]
        if errors:
            self._fail("accounting", errors, status)
        if self.in_cycle:
            self._since_read = (now, seconds, body)
        return body

    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        api = self._slurm()
        body = self._db_jobs_since(since)
        out: list[JobStatus] = []
        arrays: dict[str, list[DbJob]] = {}
        for record in api.parse_db_jobs(body):
            if not record.name.startswith("antenna-"):
                continue
            if not self.per_user and self.user and record.user and record.user != self.user:
                continue
            if record.array_job_id and record.array_task_id is not None:
                arrays.setdefault(record.array_job_id, []).append(record)
                continue
            if not record.complete:
                continue
            job_status = self._db_status(record)
            if job_status.state.is_final and job_status.finished_at \
                    and job_status.finished_at >= since:
                out.append(job_status)
        for array_id, records in arrays.items():
            if not all(r.complete for r in records):
                continue
            job_status = array_status(array_id, [
                (r.array_task_id or 0, self._db_status(r)) for r in records], False)
            if job_status.state.is_final and job_status.finished_at \
                    and job_status.finished_at >= since:
                out.append(job_status)
        return out

    # -- accounts (capability ACCOUNTS) ---------------------------------------------------
    # An account is Antenna's only when both its name (`<prefix><allocation id>`) and the
    # start of its description (`antenna:allocation=<id>[,instance=<tag>]`, the same id and
    # this installation's tag) say so: an account someone else made is never read as ours,
    # so never changed or emptied.
    def account_name(self, allocation_id: int) -> str:
        return f"{self.account_prefix}{allocation_id}"

    def _account_description(self, spec: AccountSpec) -> str:
        tag = f"antenna:allocation={spec.allocation_id}"
        if self.instance:
            tag += f",instance={self.instance}"
        label = _label(spec.label, 120)
        return tag + (f" | {label}" if label else "")

    def _owned(self, account: SlurmAccount) -> int | None:
        """The allocation id of one of this installation's accounts, else None."""
        match = re.fullmatch(rf"{re.escape(self.account_prefix)}([0-9]+)", account.name)
        tag = ACCOUNT_TAG.match(account.description)
        if match is None or tag is None or tag["allocation"] != match.group(1):
            return None
        return int(match.group(1)) if (tag["instance"] or "") == self.instance else None

    def _read_accounts(self) -> tuple[list[SlurmAccount], str]:
        """Every account of slurmdbd, and the cluster name (setting, else the only one)."""
        api = self._slurm()
        status, accounts = self._get(api.db_accounts(), run_as=self.accounts_user)
        errors = api.parse_errors(accounts)
        if errors or status >= 300:
            self._fail("list accounts", errors, status)
        status, associations = self._get(api.db_associations(), run_as=self.accounts_user)
        errors = [e for e in api.parse_errors(associations) if e.number != NOTHING_FOUND]
        if errors or status >= 300:
            self._fail("list associations", errors, status)
        cluster = self.cluster
        if not cluster:
            clusters = {str(a.get("cluster") or "") for a in
                        associations.get("associations") or []} - {""}
            if len(clusters) != 1:
                raise self._unavailable(f"slurmdbd holds the clusters {sorted(clusters)}: set "
                                        "`cluster` in the factory's connector settings")
            cluster = clusters.pop()
        self.cluster = cluster
        return api.parse_accounts(accounts, associations), cluster

    def _accounts(self) -> dict[int, AccountState]:
        found, _cluster = self._read_accounts()
        out: dict[int, AccountState] = {}
        for account in found:
            allocation_id = self._owned(account)
            if allocation_id is None or not account.cluster:
                continue  # not ours, or ours without an association: made again by ensure
            out[allocation_id] = AccountState(
                allocation_id=allocation_id, name=account.name,
                gpu_minutes=account.gpu_minutes, held=account.max_running_jobs == 0,
                users=account.users)
        return out

    def _slurm_account(self, spec: AccountSpec) -> SlurmAccount:
        if not self.cluster:
            self._read_accounts()
        return SlurmAccount(
            name=self.account_name(spec.allocation_id),
            description=self._account_description(spec), organization=ACCOUNT_ORGANIZATION,
            cluster=self.cluster, gpu_minutes=spec.gpu_minutes,
            max_running_jobs=0 if spec.held else None)

    def _write(self, what: str, call: HttpCall) -> None:
        """A slurmdbd write (POST or DELETE; each is idempotent: sent again, it changes
        nothing). Errors are checked by the caller reading back where Slurm misreports."""
        try:
            status, body = self._send(call, run_as=self.accounts_user)
        except TRANSPORT_ERRORS as exc:
            raise self._unavailable(f"{what}: slurmrestd at {self.url} unreachable: {exc}") \
                from exc
        errors = [e for e in self._slurm().parse_errors(body) if e.number != NOTHING_FOUND]
        if any(e.number == ESLURM_ACCESS_DENIED for e in errors):
            raise self._unavailable(
                f"{what}: {_text(errors, status)}: slurmdbd lets only administrators write "
                f"accounts; `{self.accounts_user or self.user}` needs root's or SlurmUser's "
                "token, or AdminLevel=Operator (see docs/identity.md)")
        if errors or status >= 300:
            self._fail(what, errors, status)

    def _account_ensure(self, spec: AccountSpec) -> None:
        existing = {a.name: a for a in self._read_accounts()[0]}.get(
            self.account_name(spec.allocation_id))
        account = self._slurm_account(spec)
        if existing is not None and self._owned(existing) != spec.allocation_id:  # not ours
            raise JobRejected(f"{self.factory_name}: an account {existing.name} exists that "
                              "Antenna did not make; it is left alone (set account_prefix)")
        for call in self._slurm().account_create(account):
            try:
                self._write(f"create account {account.name}", call)
            except FactoryUnavailable as exc:
                # 22.05 answers "-1 Unspecified error" to an association it did make: trust
                # what slurmdbd holds afterwards, not the answer.
                if "Unspecified error" not in exc.message:
                    raise
        created = {a.name: a for a in self._read_accounts()[0]}.get(account.name)
        if created is None or not created.cluster:
            raise self._unavailable(f"account {account.name} was not created")
        if created.gpu_minutes != account.gpu_minutes \
                or (created.max_running_jobs == 0) != spec.held:
            self._account_set_limits(spec)

    def _account_set_limits(self, spec: AccountSpec) -> None:
        account = self._slurm_account(spec)
        call = self._slurm().account_limits(account)
        if call is None:
            raise self._unavailable(
                f"slurmrestd {self._slurm().version} cannot change an account's limits; set "
                f"them with `sacctmgr modify account {account.name} set "
                f"GrpTRESMins=gres/gpu={spec.gpu_minutes} GrpJobs={0 if spec.held else -1}`")
        self._write(f"set the limits of {account.name}", call)

    def _association_add(self, allocation_id: int, user: str) -> None:
        if not self.cluster:
            self._read_accounts()
        self._write(f"add {user} to {self.account_name(allocation_id)}",
                    self._slurm().association_add(self.account_name(allocation_id),
                                                  self.cluster, user))

    def _association_remove(self, allocation_id: int, user: str) -> None:
        if not self.cluster:
            self._read_accounts()
        self._write(f"remove {user} from {self.account_name(allocation_id)}",
                    self._slurm().association_remove(self.account_name(allocation_id),
                                                     self.cluster, user))

    def _account_jobs_since(self, since: dt.datetime) -> list[AccountJob]:
        api = self._slurm()
        body = self._db_jobs_since(since)
        out: list[AccountJob] = []
        pattern = re.compile(rf"{re.escape(self.account_prefix)}([0-9]+)")
        for record in api.parse_db_jobs(body):
            account = pattern.fullmatch(record.account)
            if account is None or not record.complete:
                continue
            tag = COMMENT_TAG.match(record.comment)
            if tag is not None and (tag["instance"] or "") == self.instance:
                continue  # submitted through this installation: charged as its own job
            job_status = self._db_status(record)
            if not job_status.state.is_final or job_status.finished_at is None \
                    or job_status.finished_at < since:
                continue
            out.append(AccountJob(
                scheduler_job_id=record.job_id, allocation_id=int(account.group(1)),
                user=record.user, gpus=record.gpus or 0,
                elapsed_seconds=record.elapsed_seconds or 0,
                finished_at=job_status.finished_at))
        return out

    # -- cancel --------------------------------------------------------------------------
    def _cancel(self, scheduler_job_id: str) -> None:
        api = self._slurm()
        status, body = self._delete(api.cancel(scheduler_job_id))
        errors = api.parse_errors(body)
        if not errors and status < 300:
            return
        if any(e.number in (ESLURM_INVALID_JOB_ID, ESLURM_ALREADY_DONE)
               or "already" in e.text.lower() for e in errors):
            return  # already over, or long gone
        self._fail(f"cancel {scheduler_job_id}", errors, status)

    # -- logs ----------------------------------------------------------------------------
    def _output_path(self, scheduler_job_id: str) -> Path | None:
        api = self._slurm()
        status, body = self._get(api.job(scheduler_job_id))
        jobs = api.parse_jobs(body) if status < 300 and not api.parse_errors(body) else []
        if jobs:
            job = jobs[0]
            pattern = job.standard_output or f"{job.working_directory}/slurm-%j.out"
            user, name = job.user, job.name
        else:
            found = self._db_record(scheduler_job_id)
            record = found[0] if isinstance(found, list) else found  # an array: its first task
            if record is None or not record.working_directory:
                return None
            pattern = f"{record.working_directory}/slurm-%j.out"
            user, name = record.user, record.name
        expanded = (pattern.replace("%%", "\0").replace("%j", scheduler_job_id)
                    .replace("%u", user).replace("%x", name).replace("\0", "%"))
        if "%" in expanded:
            return None  # a pattern Antenna did not write (%N, %A, ...)
        return Path(expanded)

    def _output_location(self, scheduler_job_id: str) -> str:
        """The output file's path on the cluster, from Slurm's job record (one request)."""
        path = self._output_path(scheduler_job_id)
        return str(path) if path is not None else ""

    def _read_log(self, scheduler_job_id: str, max_bytes: int) -> str:
        if not self.workdir_is_local:
            return ""
        path = self._output_path(scheduler_job_id)
        if path is None:
            return ""
        root = Path(self.workdir).resolve()
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            return ""  # only files under the factory's workdir are ever read
        try:
            with open(resolved, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - max_bytes))
                return handle.read().decode("utf-8", errors="replace")
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            return ""

    # -- health --------------------------------------------------------------------------
    def _health(self) -> Health:
        if self.config_error:
            return Health(ok=False, detail=f"misconfigured: {self.config_error}")
        if self.api_version == AUTO:  # ask the server afresh: a site upgrade is seen here
            self.api = self._negotiate()
        api = self._slurm()
        status, body = self._get(api.ping(), attempts=1)
        errors = api.parse_errors(body)
        if status == 200 and not errors:
            ok, detail = api.parse_ping(body)
            self.release = api.parse_release(body)
            if ok or not self._token_rejected():
                return Health(ok=ok, detail=f"{detail}; API {api.version}",
                              release=f"Slurm {self.release}" if self.release else "",
                              api_version=api.version)
        if self._token_rejected():
            return Health(ok=False, detail="token rejected: rotate the token file")
        return Health(ok=False, detail=f"slurmctld not answering: {_text(errors, status)}")
