#!/usr/bin/env bash
# Benchmarks (not tests): the local engine's speed as x realtime on one core, and the balancer's spread of calls over
# accounts of different speeds. Needs espeak-ng (apt-get install espeak-ng).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -DskipTests -Dspotless.check.skip=true install
mvn -B -q -Dspotless.check.skip=true -pl worker-service test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
cp="worker-service/target/test-classes:worker-service/target/classes:$(cat worker-service/target/bench.classpath)"
java -cp "$cp" dev.transcriber.worker.engine.LocalEngineBenchmark 2>&1 | grep -v -E "^(WARNING|[0-9T:.-]+Z? +INFO)"
java -cp "$cp" dev.transcriber.worker.accounts.AccountSpreadBenchmark 2>&1 | grep -v -E "^(WARNING|[0-9T:.-]+Z? +INFO)"
