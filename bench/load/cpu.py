"""In-process cost of one submit, beside the floor's (issue #13): Django's test client (no
HTTP server, no network), Antenna's production settings plus the floor route
(`antenna_bench.floor.settings`), on the database `bench/load/run.py` seeded.

    python bench/load/cpu.py FIXTURE [--n 300] [--profile]

Prints one JSON line: per request the CPU time of this process (PostgreSQL's own CPU comes on
top), the wall time, and the number of SQL queries, for `POST /api/v1/jobs` and for
`POST /bench/floor`, and for `GET /api/v1/jobs?allocation=&limit=100` (a page of 100 jobs).
`--profile` also prints pyinstrument's call tree of the submits
(`pip install pyinstrument`, the `profile` extra of the benchmark package).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any


def measure(client: Any, path: str, body: str, headers: dict[str, str], n: int) -> dict[str, Any]:
    from django.db import connection

    for _ in range(20):  # warm: imports, URL resolver, connection, caches
        assert client.post(path, body, content_type="application/json",
                           headers=headers).status_code == 201
    queries: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        resp = client.post(path, body, content_type="application/json", headers=headers)
    assert resp.status_code == 201, resp.content
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        client.post(path, body, content_type="application/json", headers=headers)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"n": n, "cpu_ms": round(cpu / n * 1000, 2), "wall_ms": round(wall / n * 1000, 2),
            "queries": len(queries), "sql": [q[:100] for q in queries]}


def measure_get(client: Any, path: str, headers: dict[str, str], n: int) -> dict[str, Any]:
    """As `measure`, for a read (GET answering 200)."""
    from django.db import connection

    for _ in range(20):
        assert client.get(path, headers=headers).status_code == 200
    queries: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        resp = client.get(path, headers=headers)
    assert resp.status_code == 200, resp.content
    items = len(resp.json().get("items", []))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        client.get(path, headers=headers)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"n": n, "items": items, "cpu_ms": round(cpu / n * 1000, 2),
            "wall_ms": round(wall / n * 1000, 2), "queries": len(queries)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "antenna_bench.floor.settings"
    import django

    django.setup()
    from django.test import Client

    me = json.load(open(args.fixture, encoding="utf-8"))["clients"][-1]  # noqa: SIM115
    headers = {"Authorization": f"Bearer {me['token']}"}
    body = json.dumps({"allocation": me["allocation"], "name": "bench",
                       "script": "#!/bin/bash\nsrun python train.py\n", "gpus": 1,
                       "walltime_minutes": 10})
    client = Client()
    out = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
    out["floor"] = measure(client, "/bench/floor", body, headers, args.n)
    out["submit"] = measure(client, "/api/v1/jobs", body, headers, args.n)
    # A page of 100 of this allocation's jobs (its own, plus the submits just measured).
    out["list_100"] = measure_get(
        client, f"/api/v1/jobs?allocation={me['allocation']}&limit=100", headers, args.n)
    out["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0002) as profiler:
            for _ in range(args.n):
                client.post("/api/v1/jobs", body, content_type="application/json",
                            headers=headers)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
