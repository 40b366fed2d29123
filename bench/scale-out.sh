#!/usr/bin/env bash
# Scale-out, measured (not a test): throughput of 1 and 4 workers in split mode (./run.sh infra, one api, N worker
# JVMs) on an upstream-bound load (a fake upstream answering in 5 s), and a check that no job ran twice. One line of
# figures per N, the ratio to one worker, then the table of docs/benchmarks.md (Scale-out). About 7 minutes
# (WORKERS=1,2,4: about 10).
# How it measures and why these settings: bench/scale_out.py's header.
#   WORKERS=1,4  UPSTREAM_LATENCY=5  JOBS=384  ASYNC_SLOTS=16  ACCOUNTS=4  SUBMITTERS=8  WARMUP=60
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
if [ ! -f standalone/target/standalone-0.1.0-SNAPSHOT.jar ]; then
  flock /tmp/transcriber-build.lock mvn -B -o -q -DskipTests package
fi
exec python3 bench/scale_out.py
