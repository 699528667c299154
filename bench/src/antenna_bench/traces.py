"""Trace readers: SWF (Parallel Workloads Archive), Philly CSV, Alibaba PAI GPU tasks CSV.

Each reader returns a `Trace`: jobs with submit time, real run time, GPUs, requested walltime
(None when the trace has none), organisation (for fairness) and original site (for the
`static` baseline), plus notes that say how the trace was interpreted, for the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

FORMATS = ("swf", "philly", "alibaba")


@dataclass(frozen=True, slots=True)
class TraceJob:
    """One job of a trace. Times in seconds; `requested` is the walltime request or None."""

    submit: float
    run: float
    gpus: int
    requested: float | None
    organization: str
    site: str


@dataclass
class Trace:
    """The jobs of a trace (sorted by submit time) and how they were read."""

    name: str
    format: str
    jobs: list[TraceJob]
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _open_text(path: Path) -> TextIO:
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", errors="replace")
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def infer_format(path: Path) -> str:
    """`swf` for *.swf[.gz]; otherwise from the CSV header."""
    name = path.name.lower()
    if name.endswith((".swf", ".swf.gz")):
        return "swf"
    with _open_text(path) as handle:
        first = handle.readline()
    header = {column.strip() for column in first.split(",")}
    if {"timestamp", "duration", "num_gpus"} <= header:
        return "philly"
    if {"num_gpu", "scheduled_time", "deletion_time"} <= header:
        return "alibaba"
    if first.lstrip().startswith(";") or len(first.split()) >= 18:
        return "swf"
    raise ValueError(f"cannot tell the format of {path}; pass --format swf|philly|alibaba")


def read_trace(path: Path, fmt: str | None = None, *, cores_per_gpu: int = 1) -> Trace:
    """Read any supported trace; `fmt` None infers it from the name or header."""
    fmt = fmt or infer_format(path)
    if fmt == "swf":
        trace = read_swf(path, cores_per_gpu=cores_per_gpu)
    elif fmt == "philly":
        trace = read_philly(path)
    elif fmt == "alibaba":
        trace = read_alibaba(path)
    else:
        raise ValueError(f"unknown trace format {fmt!r}; use one of {', '.join(FORMATS)}")
    trace.jobs.sort(key=lambda job: job.submit)
    return trace


def _swf_rows(handle: TextIO) -> Iterator[list[str]]:
    for line in handle:
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        yield line.split()


def read_swf(path: Path, *, cores_per_gpu: int = 1) -> Trace:
    """Standard Workload Format: field 2 submit, 4 run time, 5 allocated (else 8 requested)
    processors, 9 requested time, 12 user, 16 partition; -1 is unknown. A CPU log has no
    GPUs: a job gets ceil(processors / cores_per_gpu) GPUs."""
    trace = Trace(path.name, "swf", [])
    trace.notes.append(f"processors mapped to GPUs as ceil(processors / {cores_per_gpu})")
    with _open_text(path) as handle:
        for fields in _swf_rows(handle):
            if len(fields) < 5:
                trace.skip("malformed line")
                continue
            values = [_number(value) for value in fields]
            values += [-1.0] * (18 - len(values))
            submit, run = values[1], values[3]
            processors = values[4] if values[4] > 0 else values[7]
            if submit < 0 or run < 0:
                trace.skip("unknown submit or run time")
                continue
            if processors <= 0:
                trace.skip("unknown processors")
                continue
            requested = values[8] if values[8] > 0 else None
            user = fields[11] if len(fields) > 11 and values[11] >= 0 else "unknown"
            partition = fields[15] if len(fields) > 15 and values[15] >= 0 else "default"
            trace.jobs.append(TraceJob(submit, run, math.ceil(processors / cores_per_gpu),
                                       requested, f"user{user}", f"partition{partition}"))
    trace.notes.append("organisation = SWF user (field 12); site = SWF partition (field 16)")
    return trace


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return -1.0


def read_philly(path: Path) -> Trace:
    """Philly (Pollux artifact): `timestamp` (submit, a UTC date-time or seconds), `duration`,
    `num_gpus`, `cluster` (virtual cluster: the organisation and the static site)."""
    trace = Trace(path.name, "philly", [])
    with _open_text(path) as handle:
        for row in csv.DictReader(handle):
            try:
                submit = _timestamp(row["timestamp"])
                run = float(row["duration"])
                gpus = int(float(row["num_gpus"]))
            except (KeyError, ValueError):
                trace.skip("malformed row")
                continue
            if gpus <= 0 or run < 0:
                trace.skip("no GPU or unknown duration")
                continue
            cluster = row.get("cluster") or "unknown"
            trace.jobs.append(TraceJob(submit, run, gpus, None, cluster, cluster))
    trace.notes.append("organisation and site = Philly virtual cluster")
    return trace


def _timestamp(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        moment = dt.datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.timestamp()


def read_alibaba(path: Path) -> Trace:
    """Alibaba PAI GPU 2023 tasks: run time = deletion_time - scheduled_time, submit =
    creation_time. CPU-only tasks (num_gpu 0) and tasks never scheduled are skipped; a task
    sharing a GPU (gpu_milli < 1000) counts as one whole GPU."""
    trace = Trace(path.name, "alibaba", [])
    with _open_text(path) as handle:
        for row in csv.DictReader(handle):
            try:
                gpus = int(float(row.get("num_gpu") or 0))
                milli = int(float(row.get("gpu_milli") or 0))
            except ValueError:
                trace.skip("malformed row")
                continue
            if gpus <= 0:
                trace.skip("CPU-only task (num_gpu 0)")
                continue
            if not row.get("scheduled_time") or not row.get("deletion_time"):
                trace.skip("never scheduled (no scheduled_time or deletion_time)")
                continue
            try:
                submit = float(row["creation_time"])
                run = float(row["deletion_time"]) - float(row["scheduled_time"])
            except (KeyError, ValueError):
                trace.skip("malformed row")
                continue
            if run < 0:
                trace.skip("deleted before scheduled")
                continue
            if gpus == 1 and 0 < milli < 1000:
                trace.skip("GPU-sharing task counted as 1 GPU")  # counted, not dropped
            qos = row.get("qos") or "unknown"
            spec = row.get("gpu_spec") or "any"
            trace.jobs.append(TraceJob(submit, run, gpus, None, qos, spec))
    shared = trace.skipped.pop("GPU-sharing task counted as 1 GPU", 0)
    trace.notes.append(f"{shared} GPU-sharing tasks (gpu_milli < 1000) counted as 1 whole GPU")
    trace.notes.append("organisation = qos; site = gpu_spec (empty: 'any')")
    return trace
