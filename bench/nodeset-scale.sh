#!/usr/bin/env bash
# One node set driven by the queue from 0 to N pods (default 1000): the whole operator against a real
# kube-apiserver (kube-api-test, no kubelet: pods are made, not run) with a stand-in Slurm. Records
# the time to the scale decision and to the N-th pod, the pods ever created, then API requests per
# second and heap with all N nodes registered and busy. No local cluster needed.
# Writes bench/results/nodeset-scale.txt (or $1); $2 is N.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. "$ROOT/bench/common.sh"
OUT=$(realpath -m "${1:-$ROOT/bench/results/nodeset-scale.txt}")
bench_test_classpath
(cd slurm-operator && java -cp "$CP" io.slurmkube.reconcile.NodeSetScaleBench "$OUT" "${2:-1000}")
