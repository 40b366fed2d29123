#!/usr/bin/env bash
# Builds what is missing and runs one of standalone's benchmarks (a main among its test classes):
#   scripts/run-benchmark.sh HEAP CLASS [JVM options such as -Dbench.jobs=3000]
# MVN_OFFLINE=1 builds with mvn -o (every dependency already in the local repository).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
heap=$1
main=$2
shift 2
mvn=(mvn -B -q ${MVN_OFFLINE:+-o} -Dspotless.check.skip=true)
"${mvn[@]}" -DskipTests install
"${mvn[@]}" -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
# JFR keeps 128 frames of a sample's stack (64 by default), so the profiles see past deep framework stacks.
local_jvm_options all
exec java "-Xmx$heap" ${LOCAL_JVM[@]+"${LOCAL_JVM[@]}"} -XX:FlightRecorderOptions:stackdepth=128 "$@" \
  -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  "dev.transcriber.standalone.bench.$main"
