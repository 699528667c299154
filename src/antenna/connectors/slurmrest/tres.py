"""Slurm's TRES and GRES strings, read the same way by every API version (sans-IO).

`tres_alloc_str` / `tres_req_str` (`cpu=8,mem=32G,gres/gpu=4`), a job's `tres_per_node`
(`gres/gpu:h100:4`, `gpu:4`) and a node's `gres` (`gpu:gh200:4(IDX:0-3)`) are plain strings in
v0.0.38 and v0.0.40-42 alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from antenna.connectors.slurmrest.protocol import SlurmAccount
from antenna.connectors.slurmrest.values import slurm_int

_ALLOC_GPUS = re.compile(r"(?:^|,)gres/gpu=(\d+)")
_REQUESTED_GPUS = re.compile(r"gpu(?::[A-Za-z0-9_.-]+)?:(\d+)")
_NODE_GRES = re.compile(r"(?:^|,)gpu(?::[^:,(]+)?:(\d+)")  # gpu:gh200:4(IDX:0-3) -> 4


def gpus_live(job: dict[str, Any]) -> int | None:
    """The GPUs a job holds (`tres_alloc_str`), else what it asks for per node/job/task."""
    match = _ALLOC_GPUS.search(str(job.get("tres_alloc_str") or ""))
    if match:
        return int(match.group(1))
    for key in ("tres_per_node", "tres_per_job", "tres_per_task"):
        match = _REQUESTED_GPUS.search(str(job.get(key) or ""))
        if match:
            return int(match.group(1))
    return None


def gpus_requested(job: dict[str, Any]) -> int | None:
    """The GPUs the job asks for in all (`tres_req_str` `gres/gpu=N`)."""
    match = _ALLOC_GPUS.search(str(job.get("tres_req_str") or ""))
    return int(match.group(1)) if match else gpus_live(job)


def tres_gpus(items: Any) -> int | None:
    """The `gres/gpu` count of a structured TRES list (`[{"type": "gres", "name": "gpu",
    "count": N}]`, the same in v0.0.38 and v0.0.4x); None when it has none."""
    item = _gpu_item(items)
    count = item.get("count") if item is not None else None
    return int(count) if isinstance(count, int) and not isinstance(count, bool) else None


def _gpu_item(items: Any) -> dict[str, Any] | None:
    """The `gres/gpu` entry of a structured TRES list, or None."""
    for item in items or []:
        if isinstance(item, dict) and item.get("type") == "gres" and item.get("name") == "gpu":
            return item
    return None


def gpus_accounted(job: dict[str, Any]) -> int | None:
    """The GPUs slurmdbd's record of a job says it was allocated (`tres.allocated`, the same
    shape in v0.0.38 and v0.0.4x); None when it has none."""
    item = _gpu_item((job.get("tres") or {}).get("allocated"))
    return slurm_int(item.get("count")) if item is not None else None


def gpu_tres(minutes: int) -> list[dict[str, Any]]:
    """A TRES list holding only `gres/gpu=<minutes>` (GrpTRESMins)."""
    return [{"type": "gres", "name": "gpu", "count": minutes}]


def node_gpus(gres: Any) -> int:
    """The GPUs a node's `gres` string declares."""
    return sum(int(n) for n in _NODE_GRES.findall(str(gres or "")))


def accounts_from(accounts: dict[str, Any], associations: dict[str, Any],
                  number: Callable[[Any], int | None]) -> list[SlurmAccount]:
    """Accounts (`GET /slurmdb/.../accounts`) with their limits and users from the
    associations (`GET .../associations`); `number` reads a version's optional integer.
    The account association is the one without a user (`""` in v0.0.4x, null in v0.0.38)."""
    by_account: dict[str, list[dict[str, Any]]] = {}
    for assoc in associations.get("associations") or []:
        by_account.setdefault(str(assoc.get("account") or ""), []).append(assoc)
    out: list[SlurmAccount] = []
    for account in accounts.get("accounts") or []:
        name = str(account.get("name") or "")
        assocs = by_account.get(name, [])
        own = next((a for a in assocs if not a.get("user") and not a.get("partition")), None)
        limits = (own or {}).get("max") or {}
        out.append(SlurmAccount(
            name=name, description=str(account.get("description") or ""),
            organization=str(account.get("organization") or ""),
            cluster=str((own or {}).get("cluster") or ""),
            gpu_minutes=tres_gpus(((limits.get("tres") or {}).get("group") or {})
                                  .get("minutes")) if own else None,
            max_running_jobs=number((limits.get("jobs") or {}).get("active")) if own else None,
            users=tuple(sorted(str(a["user"]) for a in assocs if a.get("user"))),
        ))
    return out
