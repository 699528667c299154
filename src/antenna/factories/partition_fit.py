"""Whether a job fits a partition: the one statement of the rule, pure (no Django), so
placement, job submission and the playground's automatic check all ask the same thing."""

from __future__ import annotations


def partition_fits(*, gpus: int, walltime_minutes: int | None, gpus_per_node: int,
                   max_nodes_per_job: int, max_walltime_minutes: int) -> bool:
    """A job fits when its GPUs fit on the nodes one job may use and its walltime (None:
    not asked) is within the partition's limit."""
    return (gpus <= gpus_per_node * max_nodes_per_job
            and (walltime_minutes is None or walltime_minutes <= max_walltime_minutes))
