#!/usr/bin/env bash
# Benchmark (not a test): the sync path as the OpenAI Node SDK calls it (113 KB WAV), gateway and the same fake
# upstream called directly in interleaved rounds at 1 and 50 concurrent: p50/p99 of direct, gateway and added; the
# machine's CPU per request against the floor of the durable hops (S3 put, PostgreSQL insert, Kafka send) measured in
# the same rounds; PostgreSQL's CPU per request; a JFR profile of the gateway at 50 concurrent (dumps in
# standalone/target/jfr/); the mean time of each step; the cost of holding 2,000 sync requests open.
# Options: -Dbench.upstreamLatencyMs=20 -Dbench.requests=2000 -Dbench.rounds=10 -Dbench.held=2000 (0: skip) -Dbench.heldWave=50
#   -Dbench.warmUp=2000 (at least; then until the JIT has settled: -Dbench.jitSettled=10 (% of a core) -Dbench.warmUpMax=30000)
#   -Dbench.onlySerial=true -Dbench.profiled=1 (JFR on the one-at-a-time blocks instead) -Dbench.audioSeconds=3.615
#   -Dbench.handOff=false (every job through Kafka) -Dbench.carry=false (the worker reads the audio from the store)
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 1g SyncPathBenchmark "$@"
