"""slurmrestd OpenAPI v0.0.38 / dbv0.0.38 (Slurm 20.11-22.05): request bodies and parsers.

Everything this module knows was checked against a real Slurm 22.05.8 (see
testbeds/slurm/README.md and the recordings in testbeds/slurm/recorded/):
- errors come as `{"error_number", "error", "description", "source"}` or, for submit and
  parse failures, `{"error_code", "error"}`;
- `exit_code` of `/slurm/.../job` is the raw wait(2) status; the slurmdb one is always 0 in
  22.05 and is ignored here;
- the slurmdb record is incomplete for a second or two after the end (`name` "allocation",
  empty partition).
"""

from __future__ import annotations

from typing import Any

from antenna.connectors.slurmrest.paths import RestPaths
from antenna.connectors.slurmrest.protocol import (
    DbJob,
    HttpCall,
    LiveJob,
    NodeInfo,
    SlurmAccount,
    SlurmError,
    SubmitRequest,
    SubmitResult,
)
from antenna.connectors.slurmrest.tres import accounts_from as _accounts
from antenna.connectors.slurmrest.tres import (
    gpu_tres,
    gpus_accounted,
    gpus_live,
    gpus_requested,
    node_gpus,
)
from antenna.connectors.slurmrest.values import slurm_int

INFINITE = 0xFFFFFFFE  # NO_VAL/INFINITE of a 32-bit field (slurm.h)


def _array_id(value: Any) -> str:
    """A job array's id ("" when the job is not a task of an array: 0 or unset)."""
    number = slurm_int(value)
    return str(number) if number > 0 else ""


def _task_id(value: Any) -> int | None:
    """An array task's index (None when unset: NO_VAL, or the tasks not started yet)."""
    if value is None:
        return None
    number = slurm_int(value, INFINITE)
    return None if number >= INFINITE else number


class V0038(RestPaths):
    """The v0.0.38 request/response mapping."""

    version = "v0.0.38"

    # -- requests ------------------------------------------------------------------------
    def submit_request(self, request: SubmitRequest) -> HttpCall:
        job: dict[str, Any] = {
            "name": request.name,
            "partition": request.partition,
            "current_working_directory": request.working_directory,
            "standard_output": request.standard_output,
            "environment": dict(request.environment),  # an object; required by v0.0.38
            "gres": f"gpu:{request.gpus_per_node}",
            "time_limit": request.time_limit_minutes,
            "comment": request.comment,
        }
        if not request.partition:
            del job["partition"]  # the cluster's default partition
        if request.nodes > 1:  # whole nodes, one launcher task (srun + torchrun) on each
            job["nodes"] = [request.nodes, request.nodes]
            job["tasks_per_node"] = 1
            job["tasks"] = request.nodes
        if request.array:
            job["array"] = request.array
        if request.cpus is not None:
            job["cpus_per_task"] = request.cpus
        if request.memory_mb is not None:
            job["memory_per_node"] = request.memory_mb
        if request.account:
            job["account"] = request.account
        # `#SBATCH` lines in the script are ignored by slurmrestd: everything is in `job`.
        return HttpCall("POST", f"{self._slurm}/job/submit", {"job": job, "script": request.script})

    def account_create(self, account: SlurmAccount) -> list[HttpCall]:
        """Two requests: the account, then its association on the cluster with its limits
        (`parent_account: root`; measured on 22.05.8: without it the association is made all
        the same but the answer says `-1 Unspecified error`, so the connector reads back)."""
        return [
            HttpCall("POST", f"{self._slurmdb}/accounts", {"accounts": [{
                "name": account.name, "description": account.description,
                "organization": account.organization}]}),
            HttpCall("POST", f"{self._slurmdb}/associations", {"associations": [{
                "account": account.name, "cluster": account.cluster, "user": "",
                "parent_account": "root", "max": self._limits(account)}]}),
        ]

    def account_limits(self, account: SlurmAccount) -> HttpCall | None:
        """None: v0.0.38 cannot change an account association's limits (measured on 22.05.8:
        POST /associations with user "" answers no error and changes nothing)."""
        return None

    @staticmethod
    def _limits(account: SlurmAccount) -> dict[str, Any]:
        limits: dict[str, Any] = {"tres": {"group": {"minutes": gpu_tres(account.gpu_minutes)
                                                     if account.gpu_minutes is not None
                                                     else []}}}
        if account.max_running_jobs is not None:
            limits["jobs"] = {"active": account.max_running_jobs}
        return limits

    # -- responses -----------------------------------------------------------------------
    def parse_accounts(self, accounts: dict[str, Any],
                       associations: dict[str, Any]) -> list[SlurmAccount]:
        """22.05: the account association has `user: null`; numbers are plain or null."""
        return _accounts(
            accounts, associations,
            lambda v: slurm_int(v) if v is not None and slurm_int(v, -1) >= 0 else None)

    def parse_errors(self, body: dict[str, Any]) -> list[SlurmError]:
        out: list[SlurmError] = []
        for item in body.get("errors") or []:
            if not isinstance(item, dict):
                out.append(SlurmError(None, str(item)))
                continue
            number = item.get("error_number", item.get("error_code"))
            out.append(SlurmError(
                number=slurm_int(number) if number is not None else None,
                text=str(item.get("error") or ""),
                description=str(item.get("description") or ""),
                source=str(item.get("source") or ""),
            ))
        return out

    def parse_ping(self, body: dict[str, Any]) -> tuple[bool, str]:
        pings = body.get("pings") or []
        if not pings:
            return False, "no controller answered"
        up = [p for p in pings if str(p.get("ping", "")).upper() == "UP"]
        release = self.parse_release(body)
        detail = ", ".join(f"{p.get('hostname', '?')} {p.get('ping', '?')} ({p.get('mode', '?')})"
                           for p in pings)
        return bool(up), f"slurmctld {detail}; Slurm {release}".strip()

    def parse_release(self, body: dict[str, Any]) -> str:
        """The Slurm release of any response's `meta` (e.g. "22.05.8")."""
        return str(((body.get("meta") or {}).get("Slurm") or {}).get("release") or "")

    def parse_submit(self, body: dict[str, Any]) -> SubmitResult:
        raw = body.get("job_id")
        job_id = str(raw) if raw not in (None, 0, "") else None
        return SubmitResult(job_id=job_id, errors=self.parse_errors(body))

    def parse_jobs(self, body: dict[str, Any]) -> list[LiveJob]:
        out: list[LiveJob] = []
        for job in body.get("jobs") or []:
            raw_exit = job.get("exit_code")
            out.append(LiveJob(
                job_id=str(job.get("job_id")),
                name=str(job.get("name") or ""),
                comment=str(job.get("comment") or ""),
                user=str(job.get("user_name") or ""),
                state=str(job.get("job_state") or "").upper(),
                reason=str(job.get("state_reason") or ""),
                raw_exit_status=slurm_int(raw_exit) if raw_exit is not None else None,
                submit_time=slurm_int(job.get("submit_time")),
                start_time=slurm_int(job.get("start_time")),
                end_time=slurm_int(job.get("end_time")),
                partition=str(job.get("partition") or ""),
                working_directory=str(job.get("current_working_directory") or ""),
                standard_output=str(job.get("standard_output") or ""),
                gpus=gpus_live(job),
                allocated=bool(job.get("nodes") or job.get("batch_host")),
                time_limit_minutes=(None if slurm_int(job.get("time_limit"), INFINITE) >= INFINITE
                                    else slurm_int(job.get("time_limit"))),
                node_count=max(1, slurm_int(job.get("node_count"), 1)),
                requested_gpus=gpus_requested(job),
                array_job_id=_array_id(job.get("array_job_id")),
                array_task_id=_task_id(job.get("array_task_id")),
            ))
        return out

    def parse_nodes(self, body: dict[str, Any]) -> list[NodeInfo]:
        """22.05: `state` is the base state in lower case, `state_flags` the rest."""
        return [NodeInfo(
            name=str(node.get("name") or ""),
            state=str(node.get("state") or "").upper(),
            flags=tuple(str(f).upper() for f in node.get("state_flags") or []),
            partitions=tuple(str(p) for p in node.get("partitions") or []),
            gpus=node_gpus(node.get("gres")),
            gpus_used=node_gpus(node.get("gres_used")),
        ) for node in body.get("nodes") or []]

    def parse_db_jobs(self, body: dict[str, Any]) -> list[DbJob]:
        out: list[DbJob] = []
        for job in body.get("jobs") or []:
            time = job.get("time") or {}
            comment = job.get("comment") or {}
            state = job.get("state") or {}
            name = str(job.get("name") or "")
            partition = str(job.get("partition") or "")
            elapsed = time.get("elapsed")
            out.append(DbJob(
                job_id=str(job.get("job_id")),
                name=name,
                comment=str(comment.get("job") or "") if isinstance(comment, dict)
                else str(comment),
                user=str(job.get("user") or ""),
                state=str(state.get("current") or "").upper() if isinstance(state, dict)
                else str(state).upper(),
                start_time=slurm_int(time.get("start")),
                end_time=slurm_int(time.get("end")),
                elapsed_seconds=slurm_int(elapsed) if elapsed is not None else None,
                partition=partition,
                working_directory=str(job.get("working_directory") or ""),
                gpus=gpus_accounted(job),
                allocated=str(job.get("nodes") or "") not in ("", "None assigned"),
                complete=bool(partition) and name != "allocation",
                account=str(job.get("account") or ""),
                array_job_id=_array_id((job.get("array") or {}).get("job_id")),
                array_task_id=_task_id((job.get("array") or {}).get("task_id")),
            ))
        return out


API = V0038()
