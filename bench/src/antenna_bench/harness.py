"""What the benchmark scripts share: run a command, wait for a server, a throw-away
PostgreSQL with Antenna's database, and the environment of a production-like server."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def sh(cmd: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (raising on failure), capturing its text output."""
    return subprocess.run(cmd, env=env, check=True, text=True, capture_output=True, **kw)  # noqa: S603 - our own commands


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until `url` answers at all (any HTTP status means the server serves)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # any answer (401) means it serves
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def start_database(pg_dir: Path, port: int, env: dict[str, str]) -> tuple[str, str]:
    """Start PostgreSQL in `pg_dir` (scripts/postgres.sh) and create Antenna's database.

    Returns the database URL and the server version. Stop it with `scripts/postgres.sh stop`.
    """
    import psycopg

    url = sh([str(ROOT / "scripts/postgres.sh"), "start", str(pg_dir), str(port)],
             env).stdout.strip().splitlines()[-1]
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        row = conn.execute("SHOW server_version").fetchone()
    return url, str(row[0]) if row else ""


def server_env(base: dict[str, str], *, database_url: str, data_dir: Path,
               secret: str) -> dict[str, str]:
    """The environment of a production-like Antenna process on plain HTTP, on loopback."""
    return {**base, "ANTENNA_DATABASE_URL": database_url, "ANTENNA_HTTPS": "0",
            "ANTENNA_DEBUG": "0", "ANTENNA_DB_CONN_MAX_AGE": "60",
            "ANTENNA_SECRET_KEY": secret, "ANTENNA_DATA_DIR": str(data_dir),
            "ANTENNA_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "antenna.config.settings",
            "PYTHONPATH": str(ROOT / "src")}
