"""Whether a job fits a partition: the one statement of the rule, pure (no Django), so
placement, job submission and the playground's automatic check all ask the same thing."""

from __future__ import annotations


def nodes_for(gpus: int, gpus_per_node: int) -> int:
    """The nodes a job of `gpus` GPUs runs on: one up to a node's GPUs, else whole nodes."""
    return max(1, -(-gpus // max(1, gpus_per_node)))


def partition_fits(*, gpus: int, walltime_minutes: int | None, gpus_per_node: int,
                   max_nodes_per_job: int, max_walltime_minutes: int) -> bool:
    """A job fits when its GPUs fit on the nodes one job may use and its walltime (None:
    not asked) is within the partition's limit. Up to a node's GPUs a job shares a node;
    beyond, it runs on whole nodes, so its GPUs are a multiple of the node's (8 or 12 on
    nodes of 4, not 6): what it is charged for is then what it holds."""
    whole_nodes = gpus <= gpus_per_node or gpus % gpus_per_node == 0
    return (whole_nodes and gpus <= gpus_per_node * max_nodes_per_job
            and (walltime_minutes is None or walltime_minutes <= max_walltime_minutes))
