#!/usr/bin/env bash
# Benchmark (not a test): async jobs of ~100 KB submitted as fast as they are accepted, against an instant upstream;
# prints jobs/s accepted and completed. Options: -Dbench.jobs=3000 -Dbench.clients=32
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx1g "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  dev.transcriber.standalone.bench.IntakeBenchmark
