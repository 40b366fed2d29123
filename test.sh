#!/usr/bin/env bash
# Runs every test: unit, slice and full-flow tests against real Kafka, PostgreSQL and S3 servers started by the build.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/java-env.sh
exec mvn -B verify "$@"
