#!/usr/bin/env bash
# Benchmark (not a test): a 40-minute episode through the sync endpoint with 1 and 8 upstream slots, the speedup,
# and the speed of probing and cutting as times realtime. Options: -Dbench.minutes=40 -Dbench.latencyPerSecond=0.05
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 3g LongAudioBenchmark "$@"
