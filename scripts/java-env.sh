# Sourced by run.sh and test.sh: finds a JDK 21+ (JAVA_HOME if it is one, else one under /usr/lib/jvm).
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p'; }
pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if command -v java >/dev/null && [ "$(java_major "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")" -ge 21 ] 2>/dev/null; then
    export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    return 0
  fi
  echo "A JDK 21 or newer is needed (set JAVA_HOME)." >&2
  exit 1
}
pick_jdk
export PATH="$JAVA_HOME/bin:$PATH"
# The local mode's all-in-one JVM (./run.sh with no mode or `all`, and the benchmarks, which measure it): one heap for
# the embedded broker, S3 server and both services. Left to size it, G1 kept the heap just above their live data (about
# 180-290 MB), where every other young collection started a concurrent marking that freed nothing (53-68 in a sync
# benchmark, each ending in a remark pause of about 30 ms). It starts with, and keeps, an eighth of the machine's
# memory, at most 1 GiB (the maximum stays the JVM's default, a quarter; -Xmx where a benchmark sets one). A heap size
# given in JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS is left alone (an -Xmx below this minimum would stop the JVM).
# Sets LOCAL_JVM to the options for mode $1 (all, infra, api, worker; the benchmarks ask for all).
local_jvm_options() {
  LOCAL_JVM=()
  [ "${1:-all}" = all ] || return 0
  case " ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-}" in
    *" -Xm"[sx]* | *HeapSize=* | *RAMPercentage=*) return 0 ;;
  esac
  local total_kb mb=256
  total_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)
  if [ -n "$total_kb" ]; then
    mb=$((total_kb / 1024 / 8))
    if [ "$mb" -gt 1024 ]; then mb=1024; fi
    if [ "$mb" -lt 64 ]; then mb=64; fi
  fi
  LOCAL_JVM=("-Xms${mb}m")
}
