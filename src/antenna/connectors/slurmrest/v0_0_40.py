"""slurmrestd OpenAPI v0.0.40 (Slurm 23.11-24.11): request bodies and parsers; the base of
v0.0.41 and v0.0.42, whose fields Antenna reads are the same (see v0_0_41.py, v0_0_42.py).

Checked against a real Slurm 24.11.5 (testbeds/slurm24/, recordings in
testbeds/slurm/recorded/current_v0.0.4x_*.json). What changed since v0.0.38:
- numbers that may be unset are objects `{"set", "infinite", "number"}` (times, time_limit);
- `job_state` and slurmdb `state.current` are lists: the base state first, then flags;
- `exit_code` is `{"status": [...], "return_code": {...}, "signal": {"id": {...}}}`, also in
  slurmdb (v0.0.38 gave a raw wait(2) status and a slurmdb 0): rebuilt here as a wait status;
- the submit body is `{"job": {..., "script", "environment": ["K=V", ...]}}`; GPUs are
  `tres_per_node: "gres/gpu:N"`;
- ping answers `pinged` (not `ping`) and `meta.slurm.release`; with a bad token it answers
  200 with `pinged: DOWN`, so the connector does not take a 200 ping as a valid token;
- an unknown job in slurmdb is 200 with `jobs: []` and a warning (no error 9003);
- DELETE answers 200 and puts per-job errors in `status[].error` (v0.0.42) instead of `errors`.
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


def _first(value: Any) -> str:
    """The base state of a state list (`["RUNNING", "COMPLETING"]` -> RUNNING)."""
    if isinstance(value, list):
        return str(value[0]).upper() if value else ""
    return str(value or "").upper()


def _wait_status(exit_code: Any) -> int | None:
    """The structured exit code as a wait(2) status (code << 8 | signal), None if unset."""
    if not isinstance(exit_code, dict):
        return slurm_int(exit_code) if exit_code is not None else None
    code = exit_code.get("return_code")
    signal = (exit_code.get("signal") or {}).get("id")
    code_set = isinstance(code, dict) and code.get("set") is True
    signal_set = isinstance(signal, dict) and signal.get("set") is True
    if not code_set and not signal_set:
        return None
    return (slurm_int(code) & 0xFF) << 8 | (slurm_int(signal) & 0x7F)


def _set_or_unset(value: int | None) -> dict[str, Any]:
    """A limit as a `{set, infinite, number}` object; None clears it."""
    if value is None:
        return {"set": False, "infinite": True, "number": 0}
    return {"set": True, "infinite": False, "number": value}


def _time_limit(value: Any) -> int | None:
    """Minutes, or None when unset or infinite."""
    if isinstance(value, dict) and (value.get("set") is False or value.get("infinite")):
        return None
    return slurm_int(value) if value is not None else None


def _array_id(value: Any) -> str:
    """A job array's id ("" when the job is not a task of an array: 0 or unset)."""
    number = slurm_int(value)
    return str(number) if number > 0 else ""


def _task_id(value: Any) -> int | None:
    """An array task's index (None when unset: the array's tasks not started yet)."""
    if value is None or (isinstance(value, dict) and value.get("set") is not True):
        return None
    number = slurm_int(value, -1)
    return number if 0 <= number < 0xFFFFFFFE else None


class V0040(RestPaths):
    """The v0.0.40 request/response mapping (v0.0.41 and v0.0.42 subclass it)."""

    version = "v0.0.40"

    # -- requests ------------------------------------------------------------------------
    def submit_request(self, request: SubmitRequest) -> HttpCall:
        job: dict[str, Any] = {
            "name": request.name,
            "current_working_directory": request.working_directory,
            "standard_output": request.standard_output,
            "environment": [f"{k}={v}" for k, v in request.environment.items()],
            "time_limit": {"set": True, "infinite": False, "number": request.time_limit_minutes},
            "comment": request.comment,
            "script": request.script,
        }
        if request.partition:
            job["partition"] = request.partition  # else the cluster's default partition
        if request.gpus > 0:
            job["tres_per_node"] = f"gres/gpu:{request.gpus_per_node}"
        if request.nodes > 1:  # whole nodes, one launcher task (srun + torchrun) on each
            job["minimum_nodes"] = job["maximum_nodes"] = request.nodes
            job["tasks_per_node"] = 1
            job["tasks"] = request.nodes
        if request.account:
            job["account"] = request.account
        if request.array:
            job["array"] = request.array
        if request.cpus is not None:
            job["cpus_per_task"] = request.cpus
        if request.memory_mb is not None:
            job["memory_per_node"] = {"set": True, "infinite": False,
                                      "number": request.memory_mb}
        return HttpCall("POST", f"{self._slurm}/job/submit", {"job": job})

    def account_create(self, account: SlurmAccount) -> list[HttpCall]:
        """One request: the account with its association on the cluster and its limits
        (`POST /accounts` alone makes an account with no association: jobs cannot use it)."""
        return [HttpCall("POST", f"{self._slurmdb}/accounts_association", {
            "association_condition": {
                "accounts": [account.name], "clusters": [account.cluster],
                "association": {
                    "grptresmins": gpu_tres(account.gpu_minutes)
                    if account.gpu_minutes is not None else [],
                    "grpjobs": _set_or_unset(account.max_running_jobs)}},
            "account": {"description": account.description,
                        "organization": account.organization}})]

    def account_limits(self, account: SlurmAccount) -> HttpCall:
        """The account association's GrpTRESMins and GrpJobs, both always sent: a limit left
        out of the body is cleared (measured on 24.11.5)."""
        return HttpCall("POST", f"{self._slurmdb}/associations", {"associations": [{
            "account": account.name, "cluster": account.cluster, "user": "",
            "max": {"tres": {"group": {"minutes": gpu_tres(account.gpu_minutes)
                                       if account.gpu_minutes is not None else []}},
                    "jobs": {"active": _set_or_unset(account.max_running_jobs)}}}]})

    # -- responses -----------------------------------------------------------------------
    def parse_accounts(self, accounts: dict[str, Any],
                       associations: dict[str, Any]) -> list[SlurmAccount]:
        """The account association has `user: ""`; numbers are `{set, infinite, number}`."""
        def number(value: Any) -> int | None:
            if isinstance(value, dict) and (value.get("set") is False or value.get("infinite")):
                return None
            return slurm_int(value) if value is not None else None
        return _accounts(accounts, associations, number)

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
        for item in body.get("status") or []:  # DELETE /job/{id}: one entry per job signalled
            error = item.get("error") if isinstance(item, dict) else None
            if isinstance(error, dict) and slurm_int(error.get("code")) != 0:
                out.append(SlurmError(number=slurm_int(error.get("code")),
                                      text=str(error.get("string") or ""),
                                      description=str(error.get("message") or ""),
                                      source="status"))
        return out

    def parse_ping(self, body: dict[str, Any]) -> tuple[bool, str]:
        pings = body.get("pings") or []
        if not pings:
            return False, "no controller answered"
        up = [p for p in pings if str(p.get("pinged", p.get("ping", ""))).upper() == "UP"]
        detail = ", ".join(f"{p.get('hostname', '?')} {p.get('pinged', p.get('ping', '?'))} "
                           f"({p.get('mode', '?')})" for p in pings)
        return bool(up), f"slurmctld {detail}; Slurm {self.parse_release(body)}".strip()

    def parse_release(self, body: dict[str, Any]) -> str:
        """The Slurm release of any response's `meta` (e.g. "24.11.5")."""
        return str(((body.get("meta") or {}).get("slurm") or {}).get("release") or "")

    def parse_submit(self, body: dict[str, Any]) -> SubmitResult:
        raw = body.get("job_id")
        job_id = str(raw) if raw not in (None, 0, "") else None
        return SubmitResult(job_id=job_id, errors=self.parse_errors(body))

    def parse_jobs(self, body: dict[str, Any]) -> list[LiveJob]:
        out: list[LiveJob] = []
        for job in body.get("jobs") or []:
            out.append(LiveJob(
                job_id=str(job.get("job_id")),
                name=str(job.get("name") or ""),
                comment=str(job.get("comment") or ""),
                user=str(job.get("user_name") or ""),
                state=_first(job.get("job_state")),
                reason=str(job.get("state_reason") or ""),
                raw_exit_status=_wait_status(job.get("exit_code")),
                submit_time=slurm_int(job.get("submit_time")),
                start_time=slurm_int(job.get("start_time")),
                end_time=slurm_int(job.get("end_time")),
                partition=str(job.get("partition") or ""),
                working_directory=str(job.get("current_working_directory") or ""),
                standard_output=str(job.get("standard_output") or ""),
                gpus=gpus_live(job),
                allocated=bool(job.get("nodes") or job.get("batch_host")),
                time_limit_minutes=_time_limit(job.get("time_limit")),
                node_count=max(1, slurm_int(job.get("node_count"), 1)),
                requested_gpus=gpus_requested(job),
                array_job_id=_array_id(job.get("array_job_id")),
                array_task_id=_task_id(job.get("array_task_id")),
            ))
        return out

    def parse_nodes(self, body: dict[str, Any]) -> list[NodeInfo]:
        """`state` is a list: the base state first, then the flags (["IDLE", "DRAIN"])."""
        out: list[NodeInfo] = []
        for node in body.get("nodes") or []:
            raw = node.get("state")
            states = [str(s).upper() for s in (raw if isinstance(raw, list) else [raw or ""])]
            out.append(NodeInfo(
                name=str(node.get("name") or ""),
                state=states[0] if states else "",
                flags=tuple(states[1:]),
                partitions=tuple(str(p) for p in node.get("partitions") or []),
                gpus=node_gpus(node.get("gres")),
                gpus_used=node_gpus(node.get("gres_used")),
            ))
        return out

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
                state=_first(state.get("current")) if isinstance(state, dict) else _first(state),
                start_time=slurm_int(time.get("start")),
                end_time=slurm_int(time.get("end")),
                elapsed_seconds=slurm_int(elapsed) if elapsed is not None else None,
                partition=partition,
                working_directory=str(job.get("working_directory") or ""),
                gpus=gpus_accounted(job),
                allocated=str(job.get("nodes") or "") not in ("", "None assigned"),
                complete=bool(partition) and name != "allocation",
                extra={"exit_status": _wait_status(job.get("exit_code"))},
                account=str(job.get("account") or ""),
                array_job_id=_array_id((job.get("array") or {}).get("job_id")),
                array_task_id=_task_id((job.get("array") or {}).get("task_id")),
            ))
        return out


API = V0040()
