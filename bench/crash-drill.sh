#!/usr/bin/env bash
# A crash drill with real processes (not a test; run it by hand): infrastructure, two workers and an api as separate
# JVMs, a fake upstream that takes 8 s. A sync request goes in; the worker holding its job is killed with SIGKILL
# mid-call; the other worker takes the job over when the lease runs out, and the held request is answered.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
export TRANSCRIBER_HOME="$(mktemp -d /tmp/crash-drill.XXXXXX)"
export OPENAI_BASE_URL=http://127.0.0.1:18998/v1 OPENAI_API_KEY=drill-key
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

python3 - <<'PY' &
import http.server, json, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', '0')))
        time.sleep(8)
        out = json.dumps({"text": "survived a worker crash"}).encode()
        self.send_response(200); self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', 18998), H).serve_forever()
PY
pids+=($!)
./run.sh infra > "$TRANSCRIBER_HOME/infra.log" 2>&1 & pids+=($!)
until grep -q "local infrastructure is running" "$TRANSCRIBER_HOME/infra.log" 2>/dev/null; do sleep 1; done
lease=(--transcriber.worker.lease=10s --transcriber.worker.lease-renewal=3s --transcriber.worker.reaper-interval=2s)
WORKER_PORT=8091 ./run.sh worker --transcriber.worker.id=drill-a "${lease[@]}" > "$TRANSCRIBER_HOME/a.log" 2>&1 & pids+=($!)
WORKER_PORT=8092 ./run.sh worker --transcriber.worker.id=drill-b "${lease[@]}" > "$TRANSCRIBER_HOME/b.log" 2>&1 & pids+=($!)
PORT=8093 ./run.sh api > "$TRANSCRIBER_HOME/api.log" 2>&1 & pids+=($!)
for port in 8091 8092 8093; do
  until curl -sf "http://127.0.0.1:$port/actuator/health/readiness" > /dev/null; do sleep 1; done
done
echo "system up: api :8093, workers drill-a :8091 and drill-b :8092"

head -c 48000 /dev/urandom > "$TRANSCRIBER_HOME/clip.wav"
start=$(date +%s)
curl -s -o "$TRANSCRIBER_HOME/answer.json" -w "%{http_code}" http://127.0.0.1:8093/v1/audio/transcriptions \
  -H "Authorization: Bearer $(cat "$TRANSCRIBER_HOME/api-key")" \
  -F file=@"$TRANSCRIBER_HOME/clip.wav" -F model=gpt-4o-transcribe > "$TRANSCRIBER_HOME/status" &
curl_pid=$!
sql() { psql -h 127.0.0.1 -p 15432 -U postgres -At -c "$1"; }
owner=""
for _ in $(seq 1 120); do
  owner=$(sql "select lease_owner from transcription_jobs where state = 'RUNNING'")
  [ -n "$owner" ] && break
  sleep 0.5
done
[ -n "$owner" ] || { echo "the job never started: $(cat "$TRANSCRIBER_HOME/answer.json" 2>/dev/null)"; exit 1; }
victim=$(pgrep -f "transcriber.worker.id=$owner")
echo "job running on $owner; killing it (SIGKILL, pid $victim) mid-call"
kill -9 "$victim"
wait "$curl_pid"
echo "answer after $(( $(date +%s) - start )) s: HTTP $(cat "$TRANSCRIBER_HOME/status") $(cat "$TRANSCRIBER_HOME/answer.json")"
sql "select state, attempts, upstream_account, lease_owner from transcription_jobs"
