#!/usr/bin/env bash
# Benchmark (not a test): a podcast feed and a zip archive as batches, against an instant upstream;
# prints how fast each is expanded and completed. Options: -Dbench.episodes=2000 -Dbench.files=300
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 1g BatchBenchmark "$@"
