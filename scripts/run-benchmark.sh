#!/usr/bin/env bash
# Builds what is missing and runs one of standalone's benchmarks (a main among its test classes):
#   scripts/run-benchmark.sh HEAP CLASS [JVM options such as -Dbench.jobs=3000]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
heap=$1
main=$2
shift 2
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java "-Xmx$heap" "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  "dev.transcriber.standalone.bench.$main"
