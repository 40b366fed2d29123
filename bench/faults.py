#!/usr/bin/env python3
"""The fault suite: real processes in split mode (./run.sh infra, two workers, one api), a fake upstream and a webhook
receiver in this process, and one scenario after another on the same system. Each scenario prints one line of
figures; the table at the end is what docs/testing.md shows (Fault suite). Run it through bench/faults.sh.

What is counted, per scenario (jobs are told apart by their metadata or their Idempotency-Key):
  accepted       202 (async) or 200/accepted-and-retried (sync) answers to submissions
  succeeded / failed (with codes) / stuck   the jobs' states once the scenario has drained (stuck: not ended)
  dup_upstream   upstream calls answered 200 for audio that had already been answered 200 (each job's audio is unique)
  in_flight      upstream calls open at the moment a process was killed (the bound for dup_upstream)
  dup_results    jobs announced as ended more than once (distinct webhook ids for one job's end)
  dup_hooks      webhook ids delivered again after a 2xx (a redelivery the receiver must drop)
  5xx            answers >= 500 other than a 503 with Retry-After in the OpenAI shape
  unshaped       error answers whose body is not {"error":{"message",...}}
  503            503 answers with Retry-After (expected while a dependency is down)
  empty_upstream upstream calls whose audio part was empty
"""
import collections
import hashlib
import http.client
import http.server
import json
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import uuid

from split_mode import QuietServer, file_part, log, multipart, send, unique_wav, wav
import split_mode

HOME = tempfile.mkdtemp(prefix="faults.")
PORTS = dict(postgres=25432, kafka=29092, controller=29093, s3=29000, api=28080, worker_a=28091, worker_b=28092,
             upstream=28998, hooks=28999)
WEBHOOK_OUTAGE = int(os.environ.get("WEBHOOK_OUTAGE_SECONDS", "600"))
OUTAGE = int(os.environ.get("OUTAGE_SECONDS", "45"))
ONLY = [s for s in os.environ.get("SCENARIOS", "").split(",") if s]
WORKER_ARGS = ["--transcriber.worker.lease=20s", "--transcriber.worker.lease-renewal=5s",
               "--transcriber.worker.reaper-interval=3s"]
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


# ---------------------------------------------------------------- the fake upstream

class Upstream:
    """An OpenAI-compatible transcription endpoint whose behaviour a scenario switches: ok, 429, 500, reset, slow,
    garbage. It keeps every call: the audio part's digest and length, and its answer."""

    def __init__(self, port):
        self.mode = "ok"
        self.delay = 0.2
        self.lock = threading.Lock()
        self.calls = []          # (sha, length, status)
        self.open_calls = 0
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                audio = file_part(self.headers.get("Content-Type", ""), body)
                sha = hashlib.sha256(audio).hexdigest()
                with upstream.lock:
                    upstream.open_calls += 1
                status = -1  # the caller went away (a killed worker) before the answer was written
                try:
                    status = upstream.answer(self, sha, len(audio))
                except OSError:
                    pass
                finally:
                    with upstream.lock:
                        upstream.open_calls -= 1
                        upstream.calls.append((sha, len(audio), status))

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, handler, sha, length):
        mode = self.mode
        time.sleep(self.delay)
        if mode == "429":
            return send(handler, 429, {"error": {"message": "Rate limit reached", "type": "requests"}},
                        {"Retry-After": "2"})
        if mode == "500":
            return send(handler, 500, {"error": {"message": "boom"}})
        if mode == "reset":
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            return 0
        if mode == "garbage":
            send(handler, 200, None, raw=b"<html>not json")
            return "garbage"  # a 200 nobody can use: its retry is not a duplicate
        text = json.dumps({"text": "audio " + sha[:16]}).encode()
        if mode == "slow":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(text)))
            handler.end_headers()
            for byte in text:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.3)
            return 200
        return send(handler, 200, None, raw=text)

    def billed_duplicates(self, since=0):
        answered = collections.Counter(sha for sha, _, status in self.calls[since:] if status == 200)
        return sum(n - 1 for n in answered.values() if n > 1)

    def empty_calls(self, since=0):
        return sum(1 for _, length, _ in self.calls[since:] if length == 0)


# ---------------------------------------------------------------- the webhook receiver

class Hooks:
    """Receives webhooks; can be down (its port closed: connection refused) for a while."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.deliveries = []     # (webhook id, job id, type)
        self.server = None
        self.up()

    def up(self):
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event = json.loads(body or b"{}")
                job = (event.get("data") or {}).get("id") or event.get("job_id")
                with hooks.lock:
                    hooks.deliveries.append((self.headers.get("webhook-id"), job, event.get("type")))
                send(self, 200, {"ok": True})

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, scenario):
        return "http://127.0.0.1:%d/hooks/%s" % (self.port, scenario)

    def figures(self, jobs):
        with self.lock:
            mine = [d for d in self.deliveries if d[1] in jobs]
        ids = collections.Counter(d[0] for d in mine)
        per_job = collections.defaultdict(set)
        for webhook_id, job, _ in mine:
            per_job[job].add(webhook_id)
        return dict(delivered_jobs=len(per_job), dup_hooks=sum(n - 1 for n in ids.values() if n > 1),
                    dup_results=sum(1 for ids_ in per_job.values() if len(ids_) > 1))


# ---------------------------------------------------------------- the system under test

class System(split_mode.System):
    def __init__(self):
        super().__init__(HOME, PORTS, dict(OPENAI_BASE_URL="http://127.0.0.1:%d/v1" % PORTS["upstream"],
                                           OPENAI_API_KEY="fault-suite-upstream-key"))

    def start(self, name):
        mode, port = {"api": ("api", PORTS["api"]), "worker_a": ("worker", PORTS["worker_a"]),
                      "worker_b": ("worker", PORTS["worker_b"])}[name]
        self.launch(name, mode, port, WORKER_ARGS + ["--transcriber.worker.id=" + name] if mode == "worker" else [])

    def stop_all(self):
        super().stop_all(["api", "worker_a", "worker_b"])


# ---------------------------------------------------------------- callers

class Answers:
    """Every answer a scenario got: its status, and whether an error was in the OpenAI shape."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.bad_5xx = 0
        self.unshaped = 0
        self.refused = 0

    def record(self, status, headers, body):
        with self.lock:
            self.statuses[status] += 1
            if status >= 400:
                try:
                    error = json.loads(body)["error"]
                    shaped = isinstance(error.get("message"), str) and "type" in error
                except (ValueError, KeyError, TypeError, AttributeError):
                    shaped = False
                if not shaped:
                    self.unshaped += 1
                if status >= 500 and not (status == 503 and headers.get("Retry-After") and shaped):
                    self.bad_5xx += 1
                    log("a %d answer without Retry-After or shape: %s" % (status, body[:300]))


def post(path, content_type, body, headers=None, timeout=600, answers=None):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", PORTS["api"], timeout=timeout)
        connection.request("POST", path, body, dict({"Authorization": "Bearer " + API_KEY,
                                                     "Content-Type": content_type}, **(headers or {})))
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        if answers:
            answers.record(response.status, dict(response.getheaders()), data)
        return response.status, dict(response.getheaders()), data
    except OSError as e:
        if answers:
            with answers.lock:
                answers.refused += 1
        return 0, {}, str(e)


def submit_async(scenario, answers, audio=None):
    content_type, body = multipart([("model", "gpt-4o-transcribe"), ("metadata[scenario]", scenario),
                                    ("webhook_url", HOOKS.url(scenario))], audio or unique_wav())
    status, _, data = post("/v1/transcription_jobs", content_type, body, answers=answers)
    return json.loads(data)["id"] if status == 202 else None


def submit_stream(scenario, seconds, per_second, answers, during=None):
    """Submits async jobs at a steady rate for `seconds`, running `during` (the fault) alongside."""
    accepted = []
    stop = time.time() + seconds
    fault = threading.Thread(target=during, daemon=True) if during else None
    if fault:
        fault.start()
    while time.time() < stop:
        started = time.time()
        job = submit_async(scenario, answers)
        if job:
            accepted.append(job)
        time.sleep(max(0.0, 1.0 / per_second - (time.time() - started)))
    if fault:
        fault.join()
    return accepted


# ---------------------------------------------------------------- outcomes

def drain(where, seconds=300):
    """Waits until every job matching `where` has ended (or `seconds` pass), then counts them."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            open_jobs = int(SYSTEM.sql("select count(*) from transcription_jobs where parent_id is null and (%s) "
                                       "and state not in ('SUCCEEDED','FAILED','CANCELLED')" % where)[0][0])
            if open_jobs == 0:
                break
        except RuntimeError:
            pass
        time.sleep(2)
    rows = SYSTEM.sql("select state, coalesce(failure_code, ''), count(*) from transcription_jobs "
                      "where parent_id is null and (%s) group by 1, 2" % where)
    figures = dict(succeeded=0, failed=0, stuck=0, codes=collections.Counter())
    for state, code, count in rows:
        if state == "SUCCEEDED":
            figures["succeeded"] += int(count)
        elif state in ("FAILED", "CANCELLED"):
            figures["failed"] += int(count)
            figures["codes"][code or state.lower()] += int(count)
        else:
            figures["stuck"] += int(count)
    return figures


def job_ids(where):
    return {row[0] for row in SYSTEM.sql("select id from transcription_jobs where parent_id is null and (%s)" % where)}


def by_scenario(name):
    return "metadata::jsonb ->> 'scenario' = '%s'" % name


RESULTS = []


def report(name, accepted, answers, upstream_from, outcome, hooks=None, in_flight="-", note=""):
    row = collections.OrderedDict(
        scenario=name, accepted=accepted, succeeded=outcome["succeeded"], failed=outcome["failed"],
        codes=",".join("%s:%d" % kv for kv in sorted(outcome["codes"].items())) or "-", stuck=outcome["stuck"],
        dup_upstream=UPSTREAM.billed_duplicates(upstream_from), in_flight=in_flight,
        dup_results=hooks["dup_results"] if hooks else "-", dup_hooks=hooks["dup_hooks"] if hooks else "-",
        answers_5xx=answers.bad_5xx, unshaped=answers.unshaped, answers_503=answers.statuses.get(503, 0),
        empty_upstream=UPSTREAM.empty_calls(upstream_from), note=note)
    RESULTS.append(row)
    print(" ".join("%s=%s" % kv for kv in row.items() if kv[0] != "note") + ("  # " + note if note else ""),
          flush=True)


# ---------------------------------------------------------------- scenarios

def worker_kill_async():
    name, answers, since = "worker-kill-async", Answers(), len(UPSTREAM.calls)
    UPSTREAM.delay = 1.0
    accepted = [j for j in (submit_async(name, answers) for _ in range(200)) if j]
    while sum(1 for c in UPSTREAM.calls[since:] if c[2] == 200) < 40:
        time.sleep(0.2)
    in_flight = UPSTREAM.open_calls
    SYSTEM.kill("worker_a")
    outcome = drain(by_scenario(name))
    UPSTREAM.delay = 0.2
    SYSTEM.start("worker_a")
    report(name, len(accepted), answers, since, outcome, HOOKS.figures(set(accepted)), in_flight,
           "worker_a kill -9 after 40 answered calls")


def worker_kill_long():
    name, answers, since = "worker-kill-long", Answers(), len(UPSTREAM.calls)
    minutes = int(os.environ.get("LONG_AUDIO_MINUTES", "40"))
    rate = 8000
    frames = os.urandom(minutes * 60 * rate)  # 8-bit PCM noise: no silence, so the cutter cuts at its longest
    UPSTREAM.delay = 1.5
    job = submit_async(name, answers, wav(frames, rate, 1))
    accepted = [job] if job else []
    deadline = time.time() + 120
    while time.time() < deadline and sum(1 for c in UPSTREAM.calls[since:] if c[2] == 200) < 3:
        time.sleep(0.2)
    owners = SYSTEM.sql("select lease_owner, count(*) from transcription_jobs where parent_id = '%s' "
                        "and state = 'RUNNING' group by 1 order by 2 desc" % job) if job else []
    victim = owners[0][0] if owners and owners[0][0] in ("worker_a", "worker_b") else "worker_a"
    in_flight = UPSTREAM.open_calls
    SYSTEM.kill(victim)
    outcome = drain(by_scenario(name), 600)
    pieces = SYSTEM.sql("select count(*) from transcription_jobs where parent_id = '%s'" % job)[0][0] if job else 0
    UPSTREAM.delay = 0.2
    SYSTEM.start(victim)
    report(name, len(accepted), answers, since, outcome, HOOKS.figures(set(accepted)), in_flight,
           "%d-minute file in %s pieces; %s kill -9 while its pieces ran" % (minutes, pieces, victim))


def api_kill_sync():
    name, answers, since = "api-kill-sync", Answers(), len(UPSTREAM.calls)
    UPSTREAM.delay = 6.0
    keys = ["%s-%s" % (name, uuid.uuid4().hex) for _ in range(20)]
    audios = {key: unique_wav() for key in keys}
    first = {}

    def call(key, into):
        content_type, body = multipart([("model", "gpt-4o-transcribe")], audios[key])
        into[key] = post("/v1/audio/transcriptions", content_type, body, {"Idempotency-Key": key},
                         answers=answers)

    threads = [threading.Thread(target=call, args=(key, first)) for key in keys]
    for thread in threads:
        thread.start()
    deadline = time.time() + 60
    while time.time() < deadline and len(SYSTEM.sql(
            "select id from transcription_jobs where idempotency_key like '%s-%%'" % name)) < 20:
        time.sleep(0.2)
    SYSTEM.kill("api")
    for thread in threads:
        thread.join()
    SYSTEM.start("api")
    retried = {}
    threads = [threading.Thread(target=call, args=(key, retried)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = sum(1 for status, _, _ in retried.values() if status == 200)
    jobs = int(SYSTEM.sql("select count(*) from transcription_jobs where idempotency_key like '%s-%%'" % name)[0][0])
    outcome = drain("idempotency_key like '%s-%%'" % name)
    UPSTREAM.delay = 0.2
    report(name, 20, answers, since, outcome, None, "-",
           "api kill -9 holding 20 sync requests; retries with the same key: %d answered 200, %d jobs in all"
           % (answered, jobs))


def outage(server):
    def run():
        name, answers, since = server + "-outage", Answers(), len(UPSTREAM.calls)

        def fault():
            time.sleep(10)
            SYSTEM.control("stop", server)
            time.sleep(OUTAGE)
            SYSTEM.control("start", server)

        accepted = submit_stream(name, OUTAGE + 25, 4, answers, fault)
        outcome = drain(by_scenario(name), 420)
        report(name, len(accepted), answers, since, outcome, HOOKS.figures(set(accepted)), "-",
               "%s stopped %d s during 4 submissions/s; refused connections: %d" % (server, OUTAGE, answers.refused))
    return run


def infra_kill():
    name, answers, since = "infra-kill", Answers(), len(UPSTREAM.calls)

    def fault():
        time.sleep(10)
        SYSTEM.kill("infra")
        SYSTEM.start_infra()

    accepted = submit_stream(name, 40, 4, answers, fault)
    outcome = drain(by_scenario(name), 420)
    report(name, len(accepted), answers, since, outcome, HOOKS.figures(set(accepted)), "-",
           "infrastructure JVM kill -9, restarted on the same home")


def webhook_outage():
    name, answers, since = "webhook-outage", Answers(), len(UPSTREAM.calls)
    HOOKS.down()
    accepted = [j for j in (submit_async(name, answers) for _ in range(20)) if j]
    drain(by_scenario(name))
    time.sleep(max(0, WEBHOOK_OUTAGE - 10))
    HOOKS.up()
    up_at = time.time()
    # the receiver is back; the next event to it (another job) is how the gateway learns it
    later = submit_async(name, answers)
    accepted += [later] if later else []
    ids = set(accepted)
    deadline = time.time() + 300
    while time.time() < deadline and HOOKS.figures(ids)["delivered_jobs"] < len(ids):
        time.sleep(1)
    hooks = HOOKS.figures(ids)
    outcome = drain(by_scenario(name))
    report(name, len(accepted), answers, since, outcome, hooks, "-",
           "receiver down %d s; %d of %d jobs' events delivered %.0f s after it was back"
           % (WEBHOOK_OUTAGE, hooks["delivered_jobs"], len(ids), time.time() - up_at))


def upstream_chaos():
    name, answers, since = "upstream-chaos", Answers(), len(UPSTREAM.calls)

    def fault():
        for mode in ["429", "500", "reset", "slow", "garbage", "ok"]:
            time.sleep(8)
            UPSTREAM.mode = mode

    accepted = submit_stream(name, 56, 3, answers, fault)
    UPSTREAM.mode = "ok"
    outcome = drain(by_scenario(name), 420)
    report(name, len(accepted), answers, since, outcome, HOOKS.figures(set(accepted)), "-",
           "8 s each of 429 storm, 500, connection resets, slow bodies, garbage JSON")


SCENARIOS = collections.OrderedDict([
    ("worker-kill-async", worker_kill_async), ("worker-kill-long", worker_kill_long),
    ("api-kill-sync", api_kill_sync), ("postgres-outage", outage("postgres")), ("kafka-outage", outage("kafka")),
    ("s3-outage", outage("s3")), ("infra-kill", infra_kill), ("webhook-outage", webhook_outage),
    ("upstream-chaos", upstream_chaos)])

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the system on the way out
    UPSTREAM = Upstream(PORTS["upstream"])
    HOOKS = Hooks(PORTS["hooks"])
    SYSTEM = System()
    log("data and logs: " + HOME)
    try:
        SYSTEM.start_infra()
        for service in ["worker_a", "worker_b", "api"]:
            SYSTEM.start(service)
        API_KEY = open(os.path.join(HOME, "api-key")).read().strip()
        log("system up")
        for scenario, run in SCENARIOS.items():
            if not ONLY or scenario in ONLY:
                log("scenario " + scenario)
                run()
    finally:
        SYSTEM.stop_all()
    print()
    print("| scenario | accepted | succeeded | failed (codes) | stuck | dup. upstream calls (in flight at kill) "
          "| dup. results | dup. webhook ids | 5xx | unshaped | 503 + Retry-After | empty upstream calls |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in RESULTS:
        print("| %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s | %s | %s | %s | %s |" % (
            r["scenario"], r["accepted"], r["succeeded"], r["failed"], r["codes"], r["stuck"], r["dup_upstream"],
            r["in_flight"], r["dup_results"], r["dup_hooks"], r["answers_5xx"], r["unshaped"], r["answers_503"],
            r["empty_upstream"]))
