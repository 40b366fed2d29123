#!/usr/bin/env bash
# The fault suite (issue: nothing accepted is lost, stuck or done twice), with real processes in split mode:
# ./run.sh infra, two workers and an api, a fake upstream and a webhook receiver. One line of figures per scenario,
# then the table of docs/testing.md (Fault suite). Takes about 20 minutes with the 10-minute webhook outage.
#   SCENARIOS=postgres-outage,kafka-outage   run only these
#   OUTAGE_SECONDS=45 WEBHOOK_OUTAGE_SECONDS=600 LONG_AUDIO_MINUTES=40
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
if [ ! -f standalone/target/standalone-0.1.0-SNAPSHOT.jar ]; then
  mvn -B -q -DskipTests install
fi
exec python3 bench/faults.py
