#!/usr/bin/env bash
# What idle SlurmClusters cost the API server: the whole operator against a real kube-apiserver
# (kube-api-test, from the binaries e2e/substrate/build-tools.sh builds) with a stand-in Slurm, every
# request counted for a minute. No local cluster needed. Writes bench/results/api-load.txt (or $1);
# $2 is the number of clusters (default 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. "$ROOT/bench/common.sh"
OUT=$(realpath -m "${1:-$ROOT/bench/results/api-load.txt}")
bench_test_classpath
(cd slurm-operator && java -cp "$CP" io.slurmkube.reconcile.ApiLoadBench "$OUT" "${2:-5}")
