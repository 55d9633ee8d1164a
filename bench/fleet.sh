#!/usr/bin/env bash
# Benchmark of the fleet pool decisions (PoolPlan) for fleets of 100 to 20,000 nodes: the time one
# fleet reconcile spends deciding, apart from its API calls. Pure Java, no cluster needed.
# Writes bench/results/fleet.txt (or $1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/results/fleet.txt}

./mvnw -B -ntp -q -pl slurm-operator test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP=slurm-operator/target/test-classes:slurm-operator/target/classes:$(cat slurm-operator/target/bench.classpath)
java -cp "$CP" io.slurmkube.fleet.PoolPlanBench "$OUT"
