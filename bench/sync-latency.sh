#!/usr/bin/env bash
# Benchmark (not a test): the sync path's added latency over calling the same fake upstream directly, and the cost
# of holding 2,000 sync requests open, with the mean time of each step and the machine's CPU per request.
# Options: -Dbench.upstreamLatencyMs=20 -Dbench.requests=2000 -Dbench.held=2000 -Dbench.warmUp=2000 -Dbench.onlySerial=true
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 1g SyncPathBenchmark "$@"
