#!/usr/bin/env bash
# Benchmark of the queue reader (slurmctld-image/queue-reader) against real Slurm daemons in
# containers: its squeue poll and the operator's HTTP read with 10,000 jobs queued, and the memory
# of the reader and slurmctld. Writes bench/results/queue-reader.txt (or $1); JOBS=N changes the
# queue length. Needs root (it builds the images and runs the dockerd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/results/queue-reader.txt}

. "$ROOT/bench/common.sh"
bench_dockerd
bench_test_classpath
# BENCH_JAVA_OPTS=-Dslurmkube.it.slurmTag=... runs the images under another tag.
java ${BENCH_JAVA_OPTS:-} -cp "$CP" io.slurmkube.slurm.QueueReaderBench "$OUT" "${JOBS:-10000}"
