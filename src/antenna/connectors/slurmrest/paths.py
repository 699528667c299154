"""The request lines every slurmrestd API version shares, sans-IO.

Only the version in the path differs between v0.0.38 and v0.0.4x for these: ping, one job,
all jobs, cancel, nodes, the accounting reads, the account and association reads, and adding
or removing a user's association. Each version module derives its mapping
from `RestPaths` and adds what really differs (the submit body, the responses).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

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

    def db_accounts(self) -> HttpCall:
        return HttpCall("GET", f"{self._slurmdb}/accounts")

    def db_associations(self) -> HttpCall:
        return HttpCall("GET", f"{self._slurmdb}/associations")

    def association_add(self, account: str, cluster: str, user: str) -> HttpCall:
        """A user's association with an account (same body in v0.0.38 and v0.0.4x)."""
        return HttpCall("POST", f"{self._slurmdb}/associations", {"associations": [
            {"account": account, "cluster": cluster, "user": user}]})

    def association_remove(self, account: str, cluster: str, user: str) -> HttpCall:
        query = urlencode({"account": account, "cluster": cluster, "user": user})
        return HttpCall("DELETE", f"{self._slurmdb}/association?{query}")

    def db_jobs_since(self, seconds_ago: int) -> HttpCall:
        # Every version takes "now-N" (v0.0.38 takes neither epoch seconds nor name filters).
        return HttpCall("GET", f"{self._slurmdb}/jobs?start_time=now-{max(0, seconds_ago)}")
