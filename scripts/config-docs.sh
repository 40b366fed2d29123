#!/usr/bin/env bash
# Regenerates docs/configuration.md from the @ConfigurationProperties metadata (written by the configuration processor
# when the modules compile) and the services' yml files; ConfigurationDocsTest fails until the result is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-env.sh
mvn -B -q -pl standalone -am test -Dtest=ConfigurationDocsTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dconfig.docs.write=true "$@"
echo "docs/configuration.md regenerated"
