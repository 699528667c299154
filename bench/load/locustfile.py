"""Locust scenarios for the job API (issue #5). Closed loop: each simulated client sends its
next request as soon as the previous answer arrives (no think time).

Environment:
  BENCH_FIXTURE   JSON written by bench/load/prepare.py: clients, each with a token, an
                  allocation and some job ids it may read
  BENCH_WAIT      seconds each client waits between steps (default 0: closed loop)
  BENCH_SCENARIO  read       GET /jobs/{id} and GET /jobs?allocation= (1:1)
                  submit     POST /jobs, each client on its own organisation's allocation
                  submit_hot POST /jobs, every client on the same allocation (lock contention)
                  floor      POST /bench/floor with the same token and body as `submit`: the
                             stack's floor (antenna_bench.floor: token lookup + one INSERT)
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, constant, task

with open(os.environ["BENCH_FIXTURE"], encoding="utf-8") as _fh:
    FIXTURE = json.load(_fh)
SCENARIO = os.environ.get("BENCH_SCENARIO", "read")
_next = itertools.count()
SCRIPT = "#!/bin/bash\nsrun python train.py\n"


class ApiClient(FastHttpUser):
    wait_time = constant(float(os.environ.get("BENCH_WAIT", "0")))

    def on_start(self) -> None:
        n = next(_next)
        if SCENARIO == "submit_hot":
            me = FIXTURE["hot"][n % len(FIXTURE["hot"])]
        else:
            me = FIXTURE["clients"][n % len(FIXTURE["clients"])]
        self.headers = {"Authorization": f"Bearer {me['token']}",
                        "Content-Type": "application/json"}
        self.allocation = me["allocation"]
        self.job_ids = me["jobs"]
        self.body = json.dumps({"allocation": self.allocation, "name": "bench",
                                "script": SCRIPT, "gpus": 1, "walltime_minutes": 10})

    @task
    def step(self) -> None:
        if SCENARIO == "read":
            job = random.choice(self.job_ids)  # noqa: S311 (not security)
            self.client.get(f"/api/v1/jobs/{job}", headers=self.headers, name="GET /jobs/{id}")
            self.client.get(f"/api/v1/jobs?allocation={self.allocation}&limit=20",
                            headers=self.headers, name="GET /jobs?allocation=")
        else:
            path, name = (("/bench/floor", "POST /bench/floor") if SCENARIO == "floor"
                          else ("/api/v1/jobs", "POST /jobs"))
            with self.client.post(path, data=self.body, headers=self.headers,
                                  name=name, catch_response=True) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
