#!/usr/bin/env bash
# The local mode. ./run.sh [all|infra|api|worker] [--key=value ...]
#   all     (default) a real Kafka (KRaft), PostgreSQL and an S3-compatible server, plus both services, in one JVM
#   infra   the infrastructure alone;  api / worker: one service against it (set PORT / WORKER_PORT to run several)
# Data stays under TRANSCRIBER_HOME (default ./.transcriber). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/java-env.sh

jar=standalone/target/standalone-0.1.0-SNAPSHOT.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./.transcriber -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.yml' -o -name '*.sql' -o -name '*.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "building (mvn -B -q -DskipTests install) ..."
  mvn -B -q -DskipTests install
fi
exec java -jar "$jar" "$@"
