#!/usr/bin/env bash
# Benchmark of the operator's Slurm client against real Slurm daemons in containers: jobs listed
# per second with 10,000 jobs in the queue, and the cost of one autoscaler poll.
# Writes bench/results/slurm-client.txt (or $1); JOBS=N changes the queue length. Needs root (it
# builds the images and runs the dockerd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/results/slurm-client.txt}

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
java -cp "$CP" io.slurmkube.slurm.SlurmClientBench "$OUT" "${JOBS:-10000}"
