#!/usr/bin/env bash
# Benchmark (not a test): a podcast feed and a zip archive as batches, against an instant upstream;
# prints how fast each is expanded and completed. Options: -Dbench.episodes=2000 -Dbench.files=300
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx1g "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  dev.transcriber.standalone.bench.BatchBenchmark
