#!/usr/bin/env python3
"""End-to-end check of the clusters started by testbeds/slurm/start.sh.

    python3 testbeds/slurm/verify.py [--state-dir DIR] [--timeout-test]
                                   [--record DIR] [--cluster NAME ...]

Talks only to 127.0.0.1 (the slurmrestd URLs from STATE_DIR/env), stdlib only.
For each cluster: submit `echo hello` with gres gpu:1 and wait for COMPLETED,
check the output file and the accounting record (/slurmdb/v0.0.38/job/{id}:
elapsed time and gres/gpu TRES), a failing script (exit 3 -> FAILED, exit
code 3), cancel a `sleep 600` via DELETE (-> CANCELLED), error responses
(unknown job, bad token, unknown partition, too many GPUs) and, with
--timeout-test, a `sleep 300` with time_limit=1 (-> TIMEOUT, ~1-2 min).
With --record DIR, every exchange is saved as DIR/<cluster>_<what>.json:
{"request": {...}, "status": int, "body": <parsed JSON or text>}.
Exits non-zero if any check fails.
"""
import argparse
import json
import os
import shlex
import sys
import time
import urllib.error
import urllib.request

FAILS = []


def check(cond, msg):
    print(("  ok   " if cond else "  FAIL ") + msg, flush=True)
    if not cond:
        FAILS.append(msg)
    return cond


def load_env(state_dir):
    env = {}
    with open(os.path.join(state_dir, "env")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export "):
                k, _, v = line[len("export "):].partition("=")
                env[k] = shlex.split(v)[0] if v else ""
    return env


class Rest:
    def __init__(self, name, url, user, token, record_dir):
        self.name, self.url, self.user, self.token = name, url, user, token
        self.record_dir = record_dir

    def call(self, method, path, body=None, token=None, user=None, record=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("X-SLURM-USER-NAME", user or self.user)
        req.add_header("X-SLURM-USER-TOKEN", token if token is not None else self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        if record:
            self.save(record, method, path, body, token, user, status, parsed)
        return status, parsed

    def save(self, record, method, path, body, token, user, status, parsed):
        if self.record_dir:
            os.makedirs(self.record_dir, exist_ok=True)
            rec = {
                "cluster": self.name,
                "request": {"method": method, "path": path, "body": body,
                            "headers": {"X-SLURM-USER-NAME": user or self.user,
                                        "X-SLURM-USER-TOKEN": "<token>" if token is None else "<bad token>"}},
                "status": status,
                "body": parsed,
            }
            with open(os.path.join(self.record_dir, f"{self.name}_{record}.json"), "w") as f:
                json.dump(rec, f, indent=2)
                f.write("\n")

    def job(self, job_id, record=None):
        st, body = self.call("GET", f"/slurm/v0.0.38/job/{job_id}", record=record)
        jobs = body.get("jobs") if isinstance(body, dict) else None
        return st, body, (jobs[0] if jobs else None)

    def wait_state(self, job_id, states, timeout, record=None):
        deadline = time.time() + timeout
        j = None
        while time.time() < deadline:
            _, _, j = self.job(job_id)
            if j and j["job_state"] in states:
                if record:
                    self.job(job_id, record=record)
                return j
            time.sleep(0.5)
        return j


def wait_db(r, jid, state, record=None, timeout=30):
    """Poll /slurmdb/v0.0.38/job/{jid} until the record is complete.

    The accounting record lags: right after the job ends it can already say
    state COMPLETED but still have name "allocation", partition "" and
    time.limit 0 until the job-start record reaches slurmdbd."""
    deadline = time.time() + timeout
    seen_incomplete = False
    while time.time() < deadline:
        st, body = r.call("GET", f"/slurmdb/v0.0.38/job/{jid}")
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if record and jobs and not seen_incomplete and jobs[0]["name"] == "allocation":
            seen_incomplete = True   # keep one example of the lagging record
            r.save(f"{record}_incomplete", "GET", f"/slurmdb/v0.0.38/job/{jid}", None, None, None, st, body)
        if (jobs and jobs[0]["state"]["current"] == state and jobs[0]["time"]["end"]
                and jobs[0]["partition"] and jobs[0]["name"] != "allocation"):
            if record:
                r.call("GET", f"/slurmdb/v0.0.38/job/{jid}", record=record)
            return jobs[0]
        time.sleep(0.5)
    return None


def submit_body(env, c, name, script, **extra):
    work = env["ANTENNA_SLURM_WORK_DIR"]
    job = {
        "name": name,
        "partition": env[f"ANTENNA_SLURM_{c}_PARTITION"],
        "current_working_directory": work,
        "standard_output": f"{work}/{name}-%j.out",
        "environment": {"PATH": "/usr/local/bin:/usr/bin:/bin"},
        "gres": "gpu:1",
        "time_limit": 5,
        "comment": f"antenna verify {name}",
    }
    job.update(extra)
    return {"job": job, "script": script}


def verify_cluster(env, cname, args, pending_timeouts):
    c = cname.upper()
    url = env[f"ANTENNA_SLURM_{c}_URL"]
    user = env[f"ANTENNA_SLURM_{c}_USER"]
    token = open(env[f"ANTENNA_SLURM_{c}_TOKEN_FILE"]).read().strip()
    ngpu = int(env[f"ANTENNA_SLURM_{c}_GPUS_PER_NODE"])
    r = Rest(cname, url, user, token, args.record)
    work = env["ANTENNA_SLURM_WORK_DIR"]
    print(f"== {cname} ({url})", flush=True)

    st, body = r.call("GET", "/slurm/v0.0.38/ping", record="ping")
    check(st == 200 and body["pings"][0]["ping"] == "UP", "ping")

    # hello with one GPU
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "hello", "#!/bin/bash\necho hello\n"
                                  "env | grep -E '^(CUDA|ROCR|GPU_DEVICE|SLURM_JOB_GPUS)' | sort\n"),
                      record="submit_ok")
    check(st == 200 and isinstance(body.get("job_id"), int), f"submit hello -> {st} {body.get('job_id')}")
    jid = body["job_id"]
    j = r.wait_state(jid, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"}, 60,
                     record="job_completed")
    check(j and j["job_state"] == "COMPLETED", f"hello job {jid} COMPLETED ({j and j['job_state']})")
    out = f"{work}/hello-{jid}.out"
    text = open(out).read() if os.path.exists(out) else ""
    check(text.startswith("hello\n"), f"output file {out} has hello: {text!r}")
    check(j and "gpu" in (j.get("tres_alloc_str") or ""), f"tres_alloc_str has gpu: {j and j.get('tres_alloc_str')}")

    # accounting
    dj = wait_db(r, jid, "COMPLETED", record="db_job_completed")
    check(dj is not None, f"slurmdb job {jid} COMPLETED in accounting")
    if dj:
        check(isinstance(dj["time"]["elapsed"], int), f"slurmdb elapsed={dj['time']['elapsed']}")
        gpu = [t for t in dj["tres"]["allocated"] if t["type"] == "gres" and t["name"] == "gpu"]
        check(gpu and gpu[0]["count"] == 1, f"slurmdb tres allocated gres/gpu: {gpu}")

    # failing script
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "fail3", "#!/bin/bash\necho failing\nexit 3\n"))
    jid = body.get("job_id")
    j = r.wait_state(jid, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, 60, record="job_failed")
    check(j and j["job_state"] == "FAILED", f"exit-3 job {jid} FAILED ({j and j['job_state']})")
    # v0.0.38 reports the raw wait(2) status: exit code 3 -> 3 << 8 = 768.
    check(j and j["exit_code"] >> 8 == 3, f"exit-3 job exit_code={j and j['exit_code']} (>> 8 = 3)")
    dj = wait_db(r, jid, "FAILED", record="db_job_failed")
    check(dj is not None, "slurmdb state FAILED")
    # Slurm 22.05.8 quirk: dbv0.0.38 reports exit_code {"status": "SUCCESS",
    # "return_code": 0} for this job although sacct shows ExitCode 3:0.
    print(f"  note slurmdb exit_code={dj and dj['exit_code']} (sacct says 3:0)", flush=True)

    # cancel
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "sleeper", "#!/bin/bash\nsleep 600\n"))
    jid = body.get("job_id")
    j = r.wait_state(jid, {"RUNNING"}, 30, record="job_running")
    check(j and j["job_state"] == "RUNNING", f"sleep job {jid} RUNNING")
    st, _ = r.call("GET", "/slurm/v0.0.38/jobs", record="jobs")
    check(st == 200, "GET /jobs")
    st, body = r.call("DELETE", f"/slurm/v0.0.38/job/{jid}", record="cancel_ok")
    check(st == 200, f"DELETE job {jid} -> {st}")
    j = r.wait_state(jid, {"CANCELLED", "COMPLETED", "FAILED"}, 30, record="job_cancelled")
    check(j and j["job_state"] == "CANCELLED", f"sleep job {jid} CANCELLED ({j and j['job_state']})")
    dj = wait_db(r, jid, "CANCELLED", record="db_job_cancelled")
    check(dj is not None, "slurmdb state CANCELLED")
    # accounting search (dbv0.0.38 takes neither epoch seconds nor user/name filters; "now-N" works)
    st, body = r.call("GET", "/slurmdb/v0.0.38/jobs?start_time=now-600", record="db_jobs")
    check(st == 200 and isinstance(body, dict) and not body.get("errors") and body.get("jobs"),
          f"slurmdb jobs of the last 10 minutes -> {st}")

    # errors
    st, body = r.call("GET", "/slurm/v0.0.38/job/987654321", record="error_unknown_job")
    check(st != 200 and body.get("errors"), f"unknown job -> {st}")
    st, body = r.call("GET", "/slurmdb/v0.0.38/job/987654321", record="error_db_unknown_job")
    check(True, f"slurmdb unknown job -> {st}")
    st, body = r.call("DELETE", "/slurm/v0.0.38/job/987654321", record="error_cancel_unknown_job")
    check(st != 200, f"cancel unknown job -> {st}")
    st, body = r.call("GET", "/slurm/v0.0.38/ping", token="not-a-valid-token", record="error_bad_token")
    check(st != 200, f"bad token -> {st}")
    st, body = r.call("GET", "/slurm/v0.0.38/jobs", token="", record="error_no_token")
    check(st != 200, f"empty token -> {st}")
    st, body = r.call("GET", "/slurm/v0.0.38/jobs", token="not-a-valid-token", record="error_bad_token_jobs")
    check(st != 200, f"bad token GET /jobs -> {st}")
    st, body = r.call("GET", f"/slurm/v0.0.38/job/{jid}", token="not-a-valid-token", record="error_bad_token_job")
    check(st != 200, f"bad token GET /job -> {st}")
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit", submit_body(env, c, "badtok", "#!/bin/bash\necho x\n"),
                      token="not-a-valid-token", record="error_bad_token_submit")
    check(st != 200, f"bad token submit -> {st}")
    st, body = r.call("GET", f"/slurmdb/v0.0.38/job/{jid}", token="not-a-valid-token", record="error_bad_token_db_job")
    # slurmdb endpoints answer HTTP 200 with an error (1007) and no jobs.
    check(body.get("errors") and not body.get("jobs"), f"bad token slurmdb job -> {st} with errors")
    st, body = r.call("GET", f"/slurm/v0.0.38/job/{jid}", user="root", record="error_token_user_mismatch")
    check(st != 200, f"token of {user} with X-SLURM-USER-NAME root -> {st}")
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "badpart", "#!/bin/bash\necho x\n", partition="nosuchpartition"),
                      record="error_bad_partition")
    check(st != 200 and body.get("errors"), f"unknown partition -> {st}")
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "toomanygpus", "#!/bin/bash\necho x\n", gres=f"gpu:{ngpu + 1}"),
                      record="error_too_many_gpus")
    check(st != 200 and body.get("errors"), f"gres gpu:{ngpu + 1} -> {st}")
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                      submit_body(env, c, "toolong", "#!/bin/bash\necho x\n", time_limit=100000),
                      record="error_time_limit")
    check(True, f"time_limit over MaxTime -> {st} {body.get('job_id') if isinstance(body, dict) else ''}")
    if isinstance(body, dict) and body.get("job_id"):
        # accepted but never runs: PENDING with state_reason PartitionTimeLimit
        _, _, pj = r.job(body["job_id"], record="job_pending")
        check(pj and pj["job_state"] == "PENDING", f"over-MaxTime job PENDING ({pj and pj['state_reason']})")
        r.call("DELETE", f"/slurm/v0.0.38/job/{body['job_id']}")
    b = submit_body(env, c, "noenv", "#!/bin/bash\necho x\n")
    del b["job"]["environment"]
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit", b, record="error_no_environment")
    check(st != 200, f"submit without environment -> {st}")
    st, body = r.call("POST", "/slurm/v0.0.38/job/submit", {"job": {"partition": "x"}},
                      record="error_no_script")
    check(st != 200, f"submit without script -> {st}")

    if args.timeout_test:
        st, body = r.call("POST", "/slurm/v0.0.38/job/submit",
                          submit_body(env, c, "timeout", "#!/bin/bash\nsleep 300\n", time_limit=1))
        check(st == 200, f"submit timeout job -> {body.get('job_id')}")
        pending_timeouts.append((r, body.get("job_id"), time.time()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state-dir", default=os.environ.get("ANTENNA_SLURM_STATE_DIR", "/tmp/antenna-slurm"))
    ap.add_argument("--timeout-test", action="store_true")
    ap.add_argument("--record")
    ap.add_argument("--cluster", action="append")
    args = ap.parse_args()
    env = load_env(args.state_dir)
    pending = []
    for cname in args.cluster or env["ANTENNA_SLURM_CLUSTERS"].split():
        verify_cluster(env, cname, args, pending)
    for r, jid, t0 in pending:
        print(f"== {r.name}: waiting for job {jid} (time_limit=1) to time out", flush=True)
        j = r.wait_state(jid, {"TIMEOUT", "COMPLETED", "FAILED", "CANCELLED"}, 200, record="job_timeout")
        took = time.time() - t0
        check(j and j["job_state"] == "TIMEOUT", f"job {jid} TIMEOUT after {took:.0f}s ({j and j['job_state']})")
        if j:
            run = j["end_time"] - j["start_time"]
            check(55 <= run <= 150, f"TIMEOUT job ran {run}s (start->end)")
        dj = wait_db(r, jid, "TIMEOUT", record="db_job_timeout")
        check(dj is not None, f"slurmdb state TIMEOUT (elapsed {dj and dj['time']['elapsed']})")
    print(f"{len(FAILS)} failed" if FAILS else "all checks passed", flush=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
