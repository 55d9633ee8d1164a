#!/usr/bin/env bash
# The busy-queue scenario on the local Kubernetes at 10,000 queued jobs (JOBS to change): a new
# one-node job's sbatch -> RUNNING on an empty node set with an empty queue, with the queue full
# (9 in 10 held, 1 in 10 waiting for a begin time), and just after a mass cancel; the peak resident
# memory of the operator, the queue reader, slurmctld and slurmrestd. Writes
# bench/results/busy-queue.txt (or $1). The test is e2e/src/test/java/io/slurmkube/e2e/BusyQueueIT.java;
# CI runs it with 3,000. The queue read itself is measured by bench/queue-reader.sh.
# Needs root; starts the local cluster when it is not up (and stops it again).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
bench_local_cluster
cd "$ROOT"
OUT=$(realpath -m "${1:-$ROOT/bench/results/busy-queue.txt}")

./mvnw -B -ntp -q install -DskipTests
./mvnw -B -ntp verify -pl e2e -De2e.skip=false -Dit.test=BusyQueueIT -Dbusy.results="$OUT" -Dbusy.jobs="${JOBS:-10000}"
log "results in $OUT"
