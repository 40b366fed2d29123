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
# The local mode's JVM (run.sh, and the benchmarks, which measure it): one heap for the embedded broker, S3 server and
# both services. Left to size it, G1 kept the heap just above their live data (about 180 MB), where every other young
# collection started a concurrent marking that freed nothing (55-59 a sync benchmark, with a 30 ms remark pause each).
# It starts with a sixteenth of the machine's memory (never above the maximum: a quarter, or -Xmx) and keeps it.
LOCAL_JVM_OPTIONS=(-XX:InitialRAMPercentage=6.25 -XX:MaxHeapFreeRatio=100)
