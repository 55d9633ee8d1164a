#!/usr/bin/env bash
# Chaos soak on the local Kubernetes: a steady stream of jobs of random length while DISRUPTIONS
# (default 100) randomized disruptions hit the cluster: node-set scale up and down, the operator,
# slurmctld and slurmrestd pods killed, a node-set image change, evictions of slurmd pods, the
# Kubernetes node cordoned and uncordoned. Counts jobs submitted, completed, killed by the system
# and requeued, and orphan pods and node records; stops by itself. Writes bench/results/soak.txt
# (or $1). The test is e2e/src/test/java/io/slurmkube/e2e/SoakIT.java; CI runs it with 20.
# Needs root; starts the local cluster when it is not up (and stops it again).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
bench_local_cluster
cd "$ROOT"
OUT=$(realpath -m "${1:-$ROOT/bench/results/soak.txt}")

./mvnw -B -ntp -q install -DskipTests
./mvnw -B -ntp verify -pl e2e -De2e.skip=false -Dit.test=SoakIT -Dsoak.results="$OUT" \
  -Dsoak.disruptions="${DISRUPTIONS:-100}" ${SEED:+-Dsoak.seed=$SEED}
log "results in $OUT"
