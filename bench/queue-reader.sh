#!/usr/bin/env bash
# Benchmark of the queue reader (slurmctld-image/queue-reader) against real Slurm daemons in
# containers: its squeue poll and the operator's HTTP read with 10,000 jobs queued, and the memory
# of the reader and slurmctld. Writes bench/results/queue-reader.txt (or $1); JOBS=N changes the
# queue length. Needs root (it builds the images and runs the dockerd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/results/queue-reader.txt}

started=false
if ! e2e/substrate/docker.sh status; then
  e2e/substrate/docker.sh up
  started=true
fi
trap 'if $started; then e2e/substrate/docker.sh down; fi' EXIT
eval "$(e2e/substrate/docker.sh env)"
export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost TESTCONTAINERS_CHECKS_DISABLE=true

./mvnw -B -ntp -q -pl slurm-operator test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP=slurm-operator/target/test-classes:slurm-operator/target/classes:$(cat slurm-operator/target/bench.classpath)
# BENCH_JAVA_OPTS=-Dslurmkube.it.slurmTag=... runs the images under another tag.
java ${BENCH_JAVA_OPTS:-} -cp "$CP" io.slurmkube.slurm.QueueReaderBench "$OUT" "${JOBS:-10000}"
