#!/usr/bin/env bash
# Benchmark (not a test): a 40-minute episode through the sync endpoint with 1 and 8 upstream slots, the speedup,
# and the speed of probing and cutting as times realtime. Options: -Dbench.minutes=40 -Dbench.latencyPerSecond=0.05
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx3g "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  dev.transcriber.standalone.bench.LongAudioBenchmark
