#!/usr/bin/env python3
"""Scale-out, measured: throughput of N workers in split mode (./run.sh infra, one api, N worker JVMs) on an
upstream-bound load, and proof that no job ran twice. Run it through bench/scale-out.sh.

The load: async jobs of 0.5 s of audio each, unique per job, against a fake OpenAI-compatible upstream in this
process that answers every call after UPSTREAM_LATENCY seconds, through ACCOUNTS accounts whose max-concurrency is
twice what the largest fleet can use (the accounts are the fleet's, shared through PostgreSQL: they must not be the
limit). A worker runs at most ASYNC_SLOTS async jobs at once (transcriber.worker.max-in-flight-async, 16 by default),
so N workers can finish at most N x ASYNC_SLOTS / UPSTREAM_LATENCY jobs per second: the "ideal" column.

Why 5 s and not 1-2 s: on this 2-core machine a job costs ~100 ms of CPU across all processes in split mode (api,
worker, Kafka, S3Proxy, PostgreSQL; `cpu_ms_per_job` shows it, `idle_cores` the background), so 4 workers at 2 s
(32 jobs/s ideal) would need ~3 cores: the CPU, not the workers, would be measured. At 5 s the 4-worker ideal is
12.8 jobs/s, ~1.3 cores. A CPU-bound load (the local engine) cannot show scale-out on 2 cores at all.

How one round (N workers) is measured:
  1. the N workers are started and ready (so every one of them has its share of the lane's Kafka partitions), then
     run WARMUP jobs each against a fast upstream (WARMUP_LATENCY), so the JIT has compiled the hot path;
  2. the fake upstream holds every call at a gate; JOBS jobs are queued through the api by SUBMITTERS clients, and
     the workers take their first jobs, which wait at the gate (intake is thus never the bottleneck: it is over
     before the clock starts);
  3. the gate opens (t0): each call held there ends after a random part of UPSTREAM_LATENCY (as if it had started
     at a random moment of the last UPSTREAM_LATENCY, so the fleet starts in its steady state instead of in waves of
     N x ASYNC_SLOTS calls ending together), every later call after UPSTREAM_LATENCY. The round ends when the last
     job has ended: jobs/s = JOBS / (last job's finished_at - t0), the tail included (a worker whose partitions run
     dry while another's still hold jobs shows up here, and in `jobs_per_worker`);
  4. every job must have SUCCEEDED, with exactly one upstream call for its audio (calls are counted per SHA-256 of
     the audio part at the fake upstream: a job run by two workers would call twice), and one claim;
  5. the workers are stopped (SIGTERM) before the next round; the infrastructure and the api stay.

Diagnostics on each line: jobs_per_worker (upstream calls per worker in the round), mean_ms_per_step (the workers'
`transcriber.stage` timers; `upstream` includes the wait at the gate), cpu_ms_per_job (all processes of the system
and this driver, by part), idle_cores (the same processes idle for 5 s just after the warm-up: the JIT still
compiling, and each worker's schedulers), machine_busy (every process on the machine: other work skews figures).

Settings (environment): WORKERS=1,4  UPSTREAM_LATENCY=5  JOBS (default: 30 s of ideal work for the largest N)
ASYNC_SLOTS=16  ACCOUNTS=4  SUBMITTERS=8  WARMUP=60  WARMUP_LATENCY=0.5
"""
import collections
import hashlib
import http.client
import http.server
import json
import math
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid

import split_mode
from split_mode import QuietServer, file_part, log, multipart, send, unique_wav

HOME = tempfile.mkdtemp(prefix="scale-out.")
# below the ephemeral port range (32768+), where an outgoing connection of any process could hold a port
PORTS = dict(postgres=24432, kafka=24092, controller=24093, s3=24000, api=24080, upstream=24998, first_worker=24101)
WORKERS = [int(n) for n in os.environ.get("WORKERS", "1,4").split(",") if n.strip()]
LATENCY = float(os.environ.get("UPSTREAM_LATENCY", "5"))
SLOTS = int(os.environ.get("ASYNC_SLOTS", "16"))
ACCOUNTS = int(os.environ.get("ACCOUNTS", "4"))
SUBMITTERS = int(os.environ.get("SUBMITTERS", "8"))
WARMUP = int(os.environ.get("WARMUP", "60"))  # jobs per worker run before a round is measured (JIT warm-up)
WARMUP_LATENCY = float(os.environ.get("WARMUP_LATENCY", "0.5"))
JOBS = int(os.environ.get("JOBS", "0")) or int(math.ceil(30 * max(WORKERS) * SLOTS / LATENCY))
# twice what the largest fleet can use at once, so that no account is ever the limit (async calls leave 10% of an
# account's slots to interactive ones)
ACCOUNT_CONCURRENCY = int(math.ceil(2.0 * max(WORKERS) * SLOTS / ACCOUNTS))


class Upstream:
    """The fake upstream: answers after LATENCY once its gate is open, and counts the calls per audio digest."""

    def open(self, latency=LATENCY):
        self.latency = latency
        self.opened_at = time.time()
        self.gate.set()

    def close(self):
        self.gate.clear()
        self.opened_at = float("inf")

    def __init__(self, port):
        self.lock = threading.Lock()
        self.calls = collections.Counter()   # audio sha -> calls answered
        self.open_calls = 0
        self.gate = threading.Event()
        self.opened_at = 0.0
        self.latency = LATENCY
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sha = hashlib.sha256(file_part(self.headers.get("Content-Type", ""), body)).hexdigest()
                arrived = time.time()
                with upstream.lock:
                    upstream.open_calls += 1
                try:
                    upstream.gate.wait()
                    if arrived < upstream.opened_at:
                        # held at the gate: it ends as if it had started at a random moment of the last LATENCY
                        # seconds, so the fleet starts in its steady state (calls ending one by one, not in waves)
                        time.sleep(random.uniform(0, upstream.latency))
                    else:
                        time.sleep(upstream.latency)
                    send(self, 200, {"text": "audio " + sha[:16]})
                    with upstream.lock:
                        upstream.calls[sha] += 1
                finally:
                    with upstream.lock:
                        upstream.open_calls -= 1

            def log_message(self, *args):
                pass

        class Server(QuietServer):
            request_queue_size = 512  # a fleet's first calls open their connections all at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def write_accounts():
    path = os.path.join(HOME, "accounts.yml")
    with open(path, "w") as out:
        out.write("transcriber:\n  accounts:\n")
        for i in range(ACCOUNTS):
            out.write("    - id: bench-%d\n      kind: openai\n      base-url: http://127.0.0.1:%d/v1\n"
                      "      api-key: bench-key-%d\n      max-concurrency: %d\n"
                      % (i + 1, PORTS["upstream"], i + 1, ACCOUNT_CONCURRENCY))
    return path


def submit(api_key, tag, audio):
    content_type, body = multipart([("model", "gpt-4o-transcribe"), ("metadata[run]", tag)], audio)
    for _ in range(20):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORTS["api"], timeout=120)
            connection.request("POST", "/v1/transcription_jobs", body,
                               {"Authorization": "Bearer " + api_key, "Content-Type": content_type})
            response = connection.getresponse()
            data = response.read()
            if response.status == 202:
                return json.loads(data)["id"]
            log("submission answered %d: %s" % (response.status, data[:200]))
        except OSError as e:
            log("submission failed: %s" % e)
        time.sleep(1)
    raise SystemExit("could not queue a job; see " + HOME)


def queue_jobs(api_key, tag, audios):
    pending = list(audios)
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                if not pending:
                    return
                audio = pending.pop()
            submit(api_key, tag, audio)

    threads = [threading.Thread(target=run) for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cpu_times():
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_cpu_seconds(roots):
    """CPU seconds used so far by each process of `roots` (name -> pid) and everything it started (reaped
    children included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                stats[int(pid)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
            except (OSError, IndexError, ValueError):
                pass
    children = collections.defaultdict(list)
    for pid, (ppid, _) in stats.items():
        children[ppid].append(pid)
    used = {}
    for name, root in roots.items():
        seen, todo = set(), [root] if root in stats else []
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo.extend(children[pid])
        used[name] = sum(stats[pid][1] for pid in seen) / ticks
    return used


def system_cpu_seconds():
    """CPU seconds used so far by the parts of the system under test: the infrastructure's JVM (Kafka, S3),
    PostgreSQL (apart from it), the api, the workers, and this driver (fake upstream, clients)."""
    roots = {name: p.pid for name, p in SYSTEM.processes.items()}
    try:
        roots["postgres"] = int(open(os.path.join(HOME, "postgres", "postmaster.pid")).readline())
    except (OSError, ValueError):
        pass
    used = process_cpu_seconds(roots)
    own = os.times()
    parts = collections.Counter(driver=own.user + own.system)
    for name, seconds in used.items():
        parts["workers" if name.startswith("worker") else name] += seconds
    return parts


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    log("gave up waiting for " + what)
    return False


def by_run(tag):
    return "parent_id is null and metadata::jsonb ->> 'run' = '%s'" % tag


STAGES = ["worker.claim", "worker.probe", "worker.upstream", "worker.record_result"]


def stage_totals(ports):
    """Per worker step (the `transcriber.stage` timers): how many times it ran and its total seconds, over the
    workers on `ports`."""
    totals = collections.Counter()
    for port in ports:
        for stage in STAGES:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/actuator/metrics/transcriber.stage?tag=stage:" + stage,
                                   headers={"Authorization": "Bearer " + ADMIN_TOKEN})
                measurements = {m["statistic"]: m["value"] for m in json.loads(connection.getresponse().read())
                                ["measurements"]}
                totals[(port, stage, "count")] += measurements.get("COUNT", 0)
                totals[(port, stage, "seconds")] += measurements.get("TOTAL_TIME", 0)
            except (OSError, ValueError, KeyError):
                pass
    return totals


def open_jobs(tag):
    return int(SYSTEM.sql("select count(*) from transcription_jobs where %s and state not in "
                          "('SUCCEEDED','FAILED','CANCELLED')" % by_run(tag))[0][0])


def run_round(n, api_key):
    tag = "n%d-%s" % (n, uuid.uuid4().hex[:8])
    names = ["worker-n%d-%d" % (n, i + 1) for i in range(n)]
    ports = [PORTS["first_worker"] + i for i in range(n)]
    accounts = "file:" + os.path.join(HOME, "accounts.yml")
    UPSTREAM.close()
    log("round N=%d: starting %d worker(s)" % (n, n))
    for name, port in zip(names, ports):
        SYSTEM.launch(name, "worker", port,
                      ["--transcriber.worker.id=" + name, "--transcriber.worker.max-in-flight-async=%d" % SLOTS],
                      env=dict(SPRING_CONFIG_ADDITIONAL_LOCATION=accounts), wait=False)
    for name, port in zip(names, ports):
        split_mode.wait_ready(port, name, HOME)
    time.sleep(5)  # the lane's consumer group settles with every worker in it
    warm_up = WARMUP * n
    if warm_up:
        log("round N=%d: warming up (JIT) with %d jobs at %.1f s upstream latency" % (n, warm_up, WARMUP_LATENCY))
        UPSTREAM.open(WARMUP_LATENCY)
        queue_jobs(api_key, tag + "-warm-up", [unique_wav() for _ in range(warm_up)])
        wait_for(lambda: open_jobs(tag + "-warm-up") == 0, 300, "the warm-up jobs to end")
    UPSTREAM.close()
    idle0, idle_at = system_cpu_seconds(), time.time()
    time.sleep(5)
    idle = collections.Counter({part: (v - idle0[part]) / (time.time() - idle_at)
                                for part, v in system_cpu_seconds().items()})
    audios = [unique_wav() for _ in range(JOBS)]
    shas = {hashlib.sha256(audio).hexdigest() for audio in audios}
    log("round N=%d: queueing %d jobs (%d clients) while the upstream holds calls" % (n, JOBS, SUBMITTERS))
    started = time.time()
    queue_jobs(api_key, tag, audios)
    log("round N=%d: %d jobs queued in %.1f s" % (n, JOBS, time.time() - started))
    held = min(JOBS, n * SLOTS)
    wait_for(lambda: UPSTREAM.open_calls >= held, 60, "%d calls held at the gate" % held)
    at_gate = UPSTREAM.open_calls
    stages0 = stage_totals(ports)
    busy0, total0 = cpu_times()
    own0 = system_cpu_seconds()
    t0 = time.time()
    UPSTREAM.open()
    log("round N=%d: gate open with %d calls held" % (n, at_gate))
    ideal = n * SLOTS / LATENCY
    wait_for(lambda: open_jobs(tag) == 0, max(180, 4 * JOBS / ideal), "the jobs of round N=%d to end" % n)
    busy1, total1 = cpu_times()
    own1 = system_cpu_seconds()
    stages1 = stage_totals(ports)
    per_worker = [int(stages1[(port, "worker.upstream", "count")] - stages0[(port, "worker.upstream", "count")])
                  for port in ports]

    def mean_ms(stage):
        count = sum(stages1[(port, stage, "count")] - stages0[(port, stage, "count")] for port in ports)
        seconds = sum(stages1[(port, stage, "seconds")] - stages0[(port, stage, "seconds")] for port in ports)
        return "%.0f" % (1000.0 * seconds / count) if count else "-"
    rows = SYSTEM.sql("select state, count(*), coalesce(sum(greatest(claims - 1, 0)), 0), "
                      "extract(epoch from max(finished_at)) from transcription_jobs where %s group by 1" % by_run(tag))
    states = {row[0]: int(row[1]) for row in rows}
    reclaimed = sum(int(row[2]) for row in rows)
    last = max((float(row[3]) for row in rows if row[3]), default=float("nan"))
    with UPSTREAM.lock:
        calls = {sha: UPSTREAM.calls[sha] for sha in shas}
    seconds = last - t0
    figures = collections.OrderedDict(
        workers=n, jobs=JOBS, seconds=round(seconds, 1), jobs_per_s=round(JOBS / seconds, 2),
        ideal_jobs_per_s=round(ideal, 2), succeeded=states.get("SUCCEEDED", 0),
        failed=sum(v for k, v in states.items() if k != "SUCCEEDED"),
        upstream_calls=sum(calls.values()), dup_calls=sum(c - 1 for c in calls.values() if c > 1),
        jobs_without_call=sum(1 for c in calls.values() if c == 0), reclaims=reclaimed, held_at_gate=at_gate,
        jobs_per_worker="/".join(map(str, per_worker)),
        mean_ms_per_step=",".join("%s:%s" % (stage.split(".")[1], mean_ms(stage)) for stage in STAGES),
        cpu_ms_per_job=round(1000.0 * sum((own1 - own0).values()) / JOBS, 1),
        system_cores_busy=round(sum((own1 - own0).values()) / (time.time() - t0), 2),
        cpu_ms_per_job_by_part=",".join("%s:%.1f" % (part, 1000.0 * (own1[part] - own0[part]) / JOBS)
                                        for part in ["workers", "api", "infra", "postgres", "driver"]),
        idle_cores=",".join("%s:%.2f" % (part, idle[part]) for part in ["workers", "api", "infra", "postgres"]),
        machine_busy="%d%%" % round(100.0 * (busy1 - busy0) / max(1, total1 - total0)))
    print(" ".join("%s=%s" % kv for kv in figures.items()), flush=True)
    log("round N=%d: stopping the workers" % n)
    for name in names:
        SYSTEM.stop(name)
    return figures


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the system on the way out
    cores = os.cpu_count()
    print("scale-out: %d core(s); workers %s; %d async jobs per round, upstream latency %.1f s, %d async slots per "
          "worker, %d accounts x max-concurrency %d" % (cores, ",".join(map(str, WORKERS)), JOBS, LATENCY, SLOTS,
                                                       ACCOUNTS, ACCOUNT_CONCURRENCY), flush=True)
    print("An upstream-bound load: each job waits %.1f s on the fake upstream and costs the machine ~100 ms of CPU. "
          "On %d cores a CPU-bound load (the local engine) cannot show scale-out: the workers would share the same "
          "cores." % (LATENCY, cores), flush=True)
    UPSTREAM = Upstream(PORTS["upstream"])
    # the jar itself, as run.sh starts it once built (scale-out.sh builds it when missing)
    SYSTEM = split_mode.System(HOME, PORTS, launcher=[os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java"),
                                                      "-jar", split_mode.JAR])
    log("data and logs: " + HOME)
    results = []
    try:
        write_accounts()
        SYSTEM.start_infra()
        SYSTEM.launch("api", "api", PORTS["api"], ["--transcriber.api.default-requests-per-minute=0"])
        key = SYSTEM.api_key()
        ADMIN_TOKEN = open(os.path.join(HOME, "admin-token")).read().strip()
        log("infrastructure and api up")
        for workers in WORKERS:
            results.append(run_round(workers, key))
    finally:
        SYSTEM.stop_all(["api"])
    base = next((r for r in results if r["workers"] == 1), None)
    print()
    for r in results:
        if base and r is not base:
            print("N=%d vs N=1: %.2fx (ideal %.1fx)" % (r["workers"], r["jobs_per_s"] / base["jobs_per_s"],
                                                      r["workers"]), flush=True)
    print()
    print("| workers | jobs | seconds | jobs/s | ideal jobs/s | vs 1 worker | succeeded | failed | dup. upstream calls "
          "| CPU per job | machine CPU busy |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %d | %d | %.1f | %.2f | %.2f | %s | %d | %d | %d | %.0f ms | %s |" % (
            r["workers"], r["jobs"], r["seconds"], r["jobs_per_s"], r["ideal_jobs_per_s"],
            "%.2fx" % (r["jobs_per_s"] / base["jobs_per_s"]) if base else "-", r["succeeded"], r["failed"],
            r["dup_calls"], r["cpu_ms_per_job"], r["machine_busy"]))
    wrong = [r["workers"] for r in results if r["failed"] or r["dup_calls"] or r["jobs_without_call"] or r["reclaims"]
             or r["succeeded"] != r["jobs"]]
    print()
    print("every job succeeded, with one claim and one upstream call: %s" % (
        "yes" if not wrong else "NO, with %s worker(s)" % ",".join(map(str, wrong))))
    sys.exit(1 if wrong else 0)
