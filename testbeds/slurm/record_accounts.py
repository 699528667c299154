"""Record real slurmdbd account exchanges for the replay tests of capability ACCOUNTS.

    .venv/bin/python testbeds/slurm/record_accounts.py

Against `current` (Slurm 24.11, v0.0.42) and `jupiter` (Slurm 22.05, v0.0.38), with root's
token, using Antenna's own mapping (antenna.connectors.slurmrest): an account `antrec<n>`
made the way the connector makes it (marker `antenna:allocation=<n>,instance=rec`), its
accounts and associations read back, a user's association added and removed, the limits
changed (v0.0.42), and the errors: the service account's token (not an administrator) making
an account. Writes testbeds/slurm/recorded/<cluster>_<version>_account_<what>.json (the token
masked), then deletes the account. Running it again records the same shapes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE))

from rest_client import read_env, send  # noqa: E402

from antenna.connectors.slurmrest.protocol import HttpCall, SlurmAccount  # noqa: E402
from antenna.connectors.slurmrest.versions import api_for  # noqa: E402

OUT = HERE / "recorded"
ALLOCATION = 900001


def record_cluster(env: dict[str, str], key: str, version: str, user_to_add: str) -> None:
    cluster = key.lower()
    url = env[f"ANTENNA_SLURM_{key}_URL"]
    root = Path(env[f"ANTENNA_SLURM_{key}_ROOT_TOKEN_FILE"]).read_text().strip()
    service = Path(env[f"ANTENNA_SLURM_{key}_TOKEN_FILE"]).read_text().strip()
    service_user = env[f"ANTENNA_SLURM_{key}_USER"]
    api = api_for(version)

    def record(what: str, call: HttpCall, *, token: str = root, user: str = "root") -> Any:
        status, body = send(url, token, user, call)
        (OUT / f"{cluster}_{version}_account_{what}.json").write_text(json.dumps({
            "cluster": cluster,
            "request": {"method": call.method, "path": call.path, "body": call.body,
                        "headers": {"X-SLURM-USER-NAME": user,
                                    "X-SLURM-USER-TOKEN": "<token>"}},
            "status": status, "body": body}, indent=2) + "\n")
        return body

    name = f"antrec{ALLOCATION}"
    account = SlurmAccount(name=name, description=f"antenna:allocation={ALLOCATION},"
                           "instance=rec | Recording Lab", organization="antenna",
                           cluster=cluster, gpu_minutes=6000)
    for n, call in enumerate(api.account_create(account)):
        record(f"create_{n}", call)
    record("add_user", api.association_add(name, cluster, user_to_add))
    limits = api.account_limits(SlurmAccount(**{**account.__dict__, "max_running_jobs": 0}))
    if limits is not None:
        record("limits_held", limits)
    record("accounts", api.db_accounts())
    record("associations", api.db_associations())
    record("remove_user", api.association_remove(name, cluster, user_to_add))
    record("error_not_admin", api.account_create(SlurmAccount(
        **{**account.__dict__, "name": f"antrec{ALLOCATION + 1}"}))[0],
        token=service, user=service_user)
    for gone in (name, f"antrec{ALLOCATION + 1}"):
        try:
            send(url, root, "root", HttpCall("DELETE", f"/slurmdb/{version}/account/{gone}"))
        except ValueError:  # no such account: 22.05 and 24.11 answer without JSON
            pass


def main() -> None:
    record_cluster(read_env(Path("/tmp/antenna-slurm24/env")), "CURRENT", "v0.0.42", "antsite")
    record_cluster(read_env(Path("/tmp/antenna-slurm/env")), "JUPITER", "v0.0.38", "antenna")


if __name__ == "__main__":
    main()
