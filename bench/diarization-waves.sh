#!/usr/bin/env bash
# Benchmark (not a test): what diarization's waves cost. Wall time of a 3-piece file with gpt-4o-transcribe-diarize
# against an upstream of fixed latency per call: pieces at once (json) vs waves of 1 and of 2 (diarized_json).
# Options: -Dbench.callSeconds=2 -Dbench.runs=3
exec "$(dirname "$0")/../scripts/run-benchmark.sh" 2g DiarizationWavesBenchmark "$@"
