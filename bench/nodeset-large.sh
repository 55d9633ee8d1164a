#!/usr/bin/env bash
# One node set driven by the Slurm queue to a large size on the local Kubernetes, with the operator
# installed by the chart (e2e/install-slurmkube.sh):
#   bench/nodeset-large.sh kwok [N]   N pods (default 1000) on KWOK's simulated nodes (pods look
#                                     Running, run nothing): decision, pods made and Running, no extra pod
#   bench/nodeset-large.sh real [N]   N real slurmd pods (default 200) on the local node, registered
#                                     in Slurm and running an N-node job
# Both: operator API-server requests per second and heap at size, scale-down back to 0.
# Writes bench/results/nodeset-<kwok|real>.txt. Needs root; starts the local cluster when it is
# not up (and stops it again). The code is e2e/src/test/java/io/slurmkube/e2e/LargeNodeSetBench.java.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
MODE=${1:-kwok}
case "$MODE" in
  kwok) N=${2:-1000} ;;
  real) N=${2:-200} ;;
  *) echo "usage: $0 kwok|real [nodes]" >&2; exit 2 ;;
esac
bench_local_cluster
cd "$ROOT"
OUT=$ROOT/bench/results/nodeset-$MODE.txt
./mvnw -B -ntp -q install -DskipTests
./e2e/install-slurmkube.sh
./mvnw -B -ntp -q -pl e2e test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
java -cp "e2e/target/test-classes:$(cat e2e/target/bench.classpath)" io.slurmkube.e2e.LargeNodeSetBench "$OUT" "$MODE" "$N"
log "results in $OUT"
