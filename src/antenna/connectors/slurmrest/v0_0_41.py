"""slurmrestd OpenAPI v0.0.41 (Slurm 24.05-25.05).

The fields Antenna sends and reads are those of v0.0.40 (checked on Slurm 24.11.5: the
submit, job, jobs, cancel and slurmdb answers in testbeds/slurm/recorded/current_v0.0.41_*);
what differs (`job_resources` as a node list, slurmdb `time.planned`) is not read.
"""

from __future__ import annotations

from antenna.connectors.slurmrest.v0_0_40 import V0040


class V0041(V0040):
    """The v0.0.41 mapping: v0.0.40's, under /slurm/v0.0.41 and /slurmdb/v0.0.41."""

    version = "v0.0.41"


API = V0041()
