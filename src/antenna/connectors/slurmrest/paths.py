"""The request lines every slurmrestd API version shares, sans-IO.

Only the version in the path differs between v0.0.38 and v0.0.4x for these: ping, one job,
all jobs, cancel, nodes, and the accounting reads. Each version module derives its mapping
from `RestPaths` and adds what really differs (the submit body, the responses).
"""

from __future__ import annotations

from urllib.parse import quote

from antenna.connectors.slurmrest.protocol import HttpCall


class RestPaths:
    """GET/DELETE requests under `/slurm/<version>` and `/slurmdb/<version>`."""

    version: str

    @property
    def _slurm(self) -> str:
        return f"/slurm/{self.version}"

    @property
    def _slurmdb(self) -> str:
        return f"/slurmdb/{self.version}"

    def ping(self) -> HttpCall:
        return HttpCall("GET", f"{self._slurm}/ping")

    def job(self, job_id: str) -> HttpCall:
        return HttpCall("GET", f"{self._slurm}/job/{quote(job_id, safe='')}")

    def jobs(self) -> HttpCall:
        return HttpCall("GET", f"{self._slurm}/jobs")

    def cancel(self, job_id: str) -> HttpCall:
        return HttpCall("DELETE", f"{self._slurm}/job/{quote(job_id, safe='')}")

    def nodes(self) -> HttpCall:
        return HttpCall("GET", f"{self._slurm}/nodes")

    def db_job(self, job_id: str) -> HttpCall:
        return HttpCall("GET", f"{self._slurmdb}/job/{quote(job_id, safe='')}")

    def db_jobs_since(self, seconds_ago: int) -> HttpCall:
        # Every version takes "now-N" (v0.0.38 takes neither epoch seconds nor name filters).
        return HttpCall("GET", f"{self._slurmdb}/jobs?start_time=now-{max(0, seconds_ago)}")
