#!/usr/bin/env bash
# Benchmark (not a test): async jobs of ~100 KB submitted as fast as they are accepted, against an instant upstream;
# prints jobs/s accepted and completed, the machine's CPU per job, and the floor of the durable hops (S3 put, PostgreSQL
# insert, Kafka send) measured the same way. Options: -Dbench.jobs=3000 -Dbench.clients=32 -Dbench.warmUp=2000
# -Dbench.floor=false -Dbench.acceptOnly=true -Dbench.asyncSlots=0
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx1g "$@" -cp "standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/bench.classpath)" \
  dev.transcriber.standalone.bench.IntakeBenchmark
