#!/usr/bin/env bash
# The local mode. ./run.sh [all|infra|api|worker] [--key=value ...]
#   all     (default) a real Kafka (KRaft), PostgreSQL and an S3-compatible server, plus both services, in one JVM
#   infra   the infrastructure alone;  api / worker: one service against it (set PORT / WORKER_PORT to run several)
# Data stays under TRANSCRIBER_HOME (default ./.transcriber). Ctrl-C stops everything.
#   stop|start postgres|kafka|s3   stops or starts one server of a running `./run.sh infra` on the same home
#           (an outage drill, or a restart of the embedded PostgreSQL, which also works as root)
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  stop|start)
    [[ "${2:-}" =~ ^(postgres|kafka|s3)$ ]] || { echo "usage: ./run.sh $1 postgres|kafka|s3" >&2; exit 2; }
    control="${TRANSCRIBER_HOME:-.transcriber}/control"
    [ -d "$control" ] || { echo "no running ./run.sh infra on ${TRANSCRIBER_HOME:-.transcriber}" >&2; exit 1; }
    request="$control/$1-$2"
    rm -f "$request.done" "$request.failed"
    : > "$request"
    for _ in $(seq 1 600); do
      [ -f "$request.done" ] && { echo "$2: $1 done"; exit 0; }
      [ -f "$request.failed" ] && { echo "$2: $1 failed: $(cat "$request.failed")" >&2; exit 1; }
      sleep 0.1
    done
    echo "$2: no answer from ./run.sh infra within 60 s" >&2; exit 1 ;;
esac
. scripts/java-env.sh

jar=standalone/target/standalone-0.1.0-SNAPSHOT.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./.transcriber -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.yml' -o -name '*.sql' -o -name '*.xml' \) -newer "$jar" -print -quit)" ]; then
  echo "building (mvn -B -q -DskipTests install) ..."
  mvn -B -q -DskipTests install
fi
local_jvm_options "${1:-all}"
exec java ${LOCAL_JVM[@]+"${LOCAL_JVM[@]}"} -jar "$jar" "$@"
