"""Slurm's TRES and GRES strings, read the same way by every API version (sans-IO).

`tres_alloc_str` / `tres_req_str` (`cpu=8,mem=32G,gres/gpu=4`), a job's `tres_per_node`
(`gres/gpu:h100:4`, `gpu:4`) and a node's `gres` (`gpu:gh200:4(IDX:0-3)`) are plain strings in
v0.0.38 and v0.0.40-42 alike.
"""

from __future__ import annotations

import re
from typing import Any

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


def node_gpus(gres: Any) -> int:
    """The GPUs a node's `gres` string declares."""
    return sum(int(n) for n in _NODE_GRES.findall(str(gres or "")))
