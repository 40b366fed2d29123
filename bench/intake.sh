#!/usr/bin/env bash
# Benchmark (not a test): async jobs of ~100 KB submitted as fast as they are accepted, against an instant upstream;
# prints jobs/s accepted and completed, the machine's CPU per job, and the floor of the durable hops (S3 put, PostgreSQL
# insert, Kafka send) measured the same way, the ratio of the two, PostgreSQL's CPU per job, and a JFR profile of the
# measured stretch (dumps in standalone/target/jfr/). Options: -Dbench.jobs=3000 -Dbench.clients=32
#   -Dbench.warmUp=2000 (at least; then until the JIT has settled: -Dbench.jitSettled=10 -Dbench.warmUpMax=30000)
#   -Dbench.floor=false -Dbench.acceptOnly=true -Dbench.asyncSlots=0
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 1g IntakeBenchmark "$@"
