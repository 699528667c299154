"""slurmrestd OpenAPI v0.0.42 (Slurm 24.11-25.05).

Like v0.0.41 for everything Antenna reads (checked on Slurm 24.11.5, recordings
testbeds/slurm/recorded/current_v0.0.42_*). Differences that matter are handled in
v0_0_40.py because they are harmless there: the submit answer no longer repeats itself under
`result`, and DELETE reports a refused cancel in `status[].error` with HTTP 200.
"""

from __future__ import annotations

from antenna.connectors.slurmrest.v0_0_40 import V0040


class V0042(V0040):
    """The v0.0.42 mapping: v0.0.40's, under /slurm/v0.0.42 and /slurmdb/v0.0.42."""

    version = "v0.0.42"


API = V0042()
