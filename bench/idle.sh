#!/usr/bin/env bash
# Benchmark (not a test): the CPU of a started, idle system. Starts the local mode as ./run.sh does (the same main,
# embedded infrastructure, default configuration, no jobs) on the jar's own class path (runtime dependencies, no test
# libraries), with its data under a temporary TRANSCRIBER_HOME and on free ports; once both services are ready and a
# settle time has passed, measures the machine's CPU as a share of one core, split into the JVM and PostgreSQL, the
# JVM's threads by CPU, then a JFR profile of a second window. Goal: <= 2% of one core. Before it, in a JVM of its own,
# the floor: the same infrastructure started alone (./run.sh infra: no service, no topic, no client), measured alike.
# IDLE_FLOOR=false skips the floor (to compare two settings of the system itself).
# Options: -Dbench.settleSeconds=20 -Dbench.seconds=60 -Dbench.jfr=false
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn=(mvn -B -q ${MVN_OFFLINE:+-o} -Dspotless.check.skip=true)
"${mvn[@]}" -DskipTests install
"${mvn[@]}" -pl standalone test-compile dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile=target/runtime.classpath
# Only the benchmark's classes join the jar's class path: none of the test suite's classes or libraries.
bench=standalone/target/idle-bench
rm -rf "$bench"
mkdir -p "$bench/dev/transcriber/standalone/bench"
cp standalone/target/test-classes/dev/transcriber/standalone/bench/*.class "$bench/dev/transcriber/standalone/bench/"

home=""
cleanup() {
  [ -n "$home" ] || return 0
  # a PostgreSQL left behind if the JVM was killed before its shutdown hook stopped it
  pid=$(head -1 "$home/postgres/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -INT "$pid"; sleep 2; fi
  rm -rf "$home"
}
trap cleanup EXIT
# Runs the benchmark once in mode $1 (infra: the floor; all: the system) on a fresh home and free ports.
measure() {
  home="$(mktemp -d /tmp/transcriber-idle.XXXXXX)"
  local_jvm_options "$1" # as run.sh starts mode $1
  read -r PORT WORKER_PORT POSTGRES_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT S3_PORT < <(python3 - <<'PY'
import socket
sockets = [socket.socket() for _ in range(6)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
  )
  TRANSCRIBER_HOME="$home" PORT=$PORT WORKER_PORT=$WORKER_PORT POSTGRES_PORT=$POSTGRES_PORT KAFKA_PORT=$KAFKA_PORT \
    KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT S3_PORT=$S3_PORT \
    java ${LOCAL_JVM[@]+"${LOCAL_JVM[@]}"} -XX:FlightRecorderOptions:stackdepth=128 -Dbench.mode="$1" "${@:2}" \
    -cp "$bench:standalone/target/classes:$(cat standalone/target/runtime.classpath)" \
    dev.transcriber.standalone.bench.IdleBenchmark
  cleanup
  home=""
}
if [ "${IDLE_FLOOR:-true}" != false ]; then measure infra "$@"; fi
measure all "$@"
