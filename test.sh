#!/usr/bin/env bash
# Runs every test: unit, slice, and full-flow tests against real Kafka, PostgreSQL and S3 servers started by the build.
# The local engine's test speaks known sentences with espeak-ng, and the console's browser test runs Debian's Chromium:
# both are installed here from Debian's packages if missing.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/java-env.sh
if ! command -v espeak-ng >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng sox >/dev/null
  else
    echo "espeak-ng is needed by the local engine's test: sudo apt-get install espeak-ng sox" >&2
    exit 1
  fi
fi
# The console's browser test drives Debian's Chromium through its chromedriver (no browser is downloaded at run time).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "chromium is needed by the console's browser test: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
# The deployment files' test validates docker-compose.yml with docker-compose (no Docker engine needed); kubectl, where
# present, renders the k8s overlays.
if ! command -v docker-compose >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; } \
    || echo "docker-compose could not be installed: the compose validation is skipped" >&2
fi
exec mvn -B verify "$@"
