"""Job arrays in the connectors: a job array's state from its tasks, and Slurm's array
fields read in both REST versions (the bodies below carry the fields as the recorded
responses of testbeds/slurm/recorded/ spell them)."""

from __future__ import annotations

import datetime as dt

from antenna.connectors.base import JobStatus, SchedulerState, array_status
from antenna.connectors.slurmrest.v0_0_38 import API as V38
from antenna.connectors.slurmrest.v0_0_40 import API as V40
from antenna.jobs.arrays import array_indexes, array_task_count

T0 = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)


def _done(i: int, state=SchedulerState.COMPLETED, elapsed=10, code=0) -> tuple[int, JobStatus]:
    return i, JobStatus(f"100{i}", state, exit_code=code, started_at=T0,
                        finished_at=T0 + dt.timedelta(seconds=elapsed + i),
                        elapsed_seconds=elapsed, gpus=1)


def test_an_array_is_running_while_a_task_waits_and_final_when_all_are():
    running = array_status("100", [_done(0)], pending=True)
    assert running.state == SchedulerState.RUNNING
    assert [t.index for t in running.tasks] == [0]
    assert array_status("100", [], pending=True).state == SchedulerState.PENDING
    done = array_status("100", [_done(1, elapsed=7), _done(0)], pending=False)
    assert done.state == SchedulerState.COMPLETED
    assert done.elapsed_seconds == 17  # the sum of the tasks': what is charged
    assert [t.index for t in done.tasks] == [0, 1]
    assert done.finished_at == T0 + dt.timedelta(seconds=10)


def test_an_array_with_a_failed_task_fails_and_names_it():
    status = array_status("100", [_done(0), _done(2, SchedulerState.FAILED, code=3),
                                  _done(3, SchedulerState.CANCELLED)], pending=False)
    assert status.state == SchedulerState.FAILED
    assert status.reason.startswith("task 2 failed")
    assert status.exit_code == 3


def test_array_specs():
    assert array_indexes("0-3") == [0, 1, 2, 3]
    assert array_indexes("0-99%10") == list(range(100))
    assert array_indexes("1,3,8-15:2") == [1, 3, 8, 10, 12, 14]
    assert array_task_count("") == 1
    assert array_task_count("7") == 1


def test_v0_0_38_reads_array_tasks():
    body = {"jobs": [
        {"job_id": 201, "name": "antenna-5", "job_state": "RUNNING", "array_job_id": 200,
         "array_task_id": 1},
        {"job_id": 200, "name": "antenna-5", "job_state": "PENDING", "array_job_id": 200,
         "array_task_id": 4294967294},
        {"job_id": 300, "name": "antenna-6", "job_state": "RUNNING", "array_job_id": 0,
         "array_task_id": None},
    ]}
    jobs = V38.parse_jobs(body)
    assert [(j.array_job_id, j.array_task_id) for j in jobs] == [("200", 1), ("200", None),
                                                                 ("", None)]
    db = V38.parse_db_jobs({"jobs": [{"job_id": 201, "name": "antenna-5",
                                      "array": {"job_id": 200, "task_id": 1}}]})
    assert (db[0].array_job_id, db[0].array_task_id) == ("200", 1)


def test_v0_0_40_reads_array_tasks():
    def n(v, set_=True):
        return {"set": set_, "infinite": False, "number": v}

    body = {"jobs": [
        {"job_id": 201, "name": "antenna-5", "job_state": ["RUNNING"],
         "array_job_id": n(200), "array_task_id": n(1)},
        {"job_id": 200, "name": "antenna-5", "job_state": ["PENDING"],
         "array_job_id": n(200), "array_task_id": n(0, set_=False)},
        {"job_id": 300, "name": "antenna-6", "job_state": ["RUNNING"],
         "array_job_id": n(0), "array_task_id": n(0, set_=False)},
    ]}
    jobs = V40.parse_jobs(body)
    assert [(j.array_job_id, j.array_task_id) for j in jobs] == [("200", 1), ("200", None),
                                                                 ("", None)]
    db = V40.parse_db_jobs({"jobs": [{"job_id": 201, "name": "antenna-5",
                                      "array": {"job_id": 200, "task_id": n(1)}}]})
    assert (db[0].array_job_id, db[0].array_task_id) == ("200", 1)


def test_the_submit_carries_the_array():
    from antenna.connectors.slurmrest.protocol import SubmitRequest

    request = SubmitRequest(name="antenna-5", partition="gpu", script="#!/bin/bash\n",
                            working_directory="/tmp", standard_output="/tmp/o", environment={},
                            gpus=1, time_limit_minutes=5, comment="", array="0-3%2")
    for api in (V38, V40):
        body = api.submit_request(request).body
        assert body is not None and body["job"]["array"] == "0-3%2"
    plain = SubmitRequest(name="antenna-5", partition="gpu", script="#!/bin/bash\n",
                          working_directory="/tmp", standard_output="/tmp/o", environment={},
                          gpus=1, time_limit_minutes=5, comment="")
    body = V40.submit_request(plain).body
    assert body is not None and "array" not in body["job"]
