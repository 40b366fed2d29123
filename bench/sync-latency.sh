#!/usr/bin/env bash
# Benchmark (not a test): the sync path's added latency over calling the same fake upstream directly, and the cost
# of holding 2,000 sync requests open, with the mean time of each step and the machine's CPU per request.
# Options: -Dbench.upstreamLatencyMs=20 -Dbench.requests=2000 -Dbench.held=2000 -Dbench.warmUp=2000 -Dbench.onlySerial=true
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx1g "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  dev.transcriber.standalone.bench.SyncPathBenchmark
