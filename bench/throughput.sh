#!/usr/bin/env bash
# Job throughput of an operator-built cluster against bare Slurm daemons on this machine, in one
# run: the same stream of JOBS short jobs (bench/throughput-jobs.sh, from a login node) through
#   - bare Slurm: SlurmTestCluster's daemons in plain containers (slurm.conf from the same
#     SlurmConfig; two nodes of 2 CPUs), then
#   - the operator: a SlurmCluster on the local Kubernetes with a node set of two 2-CPU nodes
#     (fixed, so scaling is not measured here; bench/slurm-autoscale.sh measures that).
# One after the other, so that neither takes the other's CPU. Writes bench/results/throughput.txt
# with both jobs/s and their ratio. Needs root (the dockerd, the local cluster, the images).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-300}
NS=bench-throughput
OUT=$ROOT/bench/results/throughput.txt
. "$ROOT/bench/common.sh"
bench_dockerd
bench_test_classpath
bare=$(mktemp)
java -cp "$CP" io.slurmkube.slurm.ThroughputBench "$bare" "$JOBS" "$ROOT/bench/throughput-jobs.sh"

bench_local_cluster
eval "$("$ROOT/e2e/substrate/cluster.sh" env)"
kubectl get deploy -n slurmkube-system slurmkube-operator >/dev/null 2>&1 || "$ROOT/e2e/install-slurmkube.sh"
kubectl delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$NS" >/dev/null
kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=baseline >/dev/null
kubectl -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: slurmkube.io/v1alpha1
kind: SlurmCluster
metadata:
  name: tput
spec:
  image: slurmkube.local/slurmctld:26.05
  nodeImage: slurmkube.local/slurmd:26.05
  imagePullPolicy: Never
  accounting:
    mode: Embedded
  login:
    replicas: 1
  nodeSets:
  - name: cpu
    replicas: 2
    cpus: 2
    cpuRequest: 250m
    memoryMiB: 1024
  partitions:
  - name: batch
    nodeSets: [cpu]
    default: true
YAML
kubectl -n "$NS" wait slurmcluster/tput --for=condition=Ready --timeout=300s >/dev/null
until [ "$(kubectl -n "$NS" exec deploy/tput-login -- sinfo -h -t idle -o %D 2>/dev/null)" = 2 ]; do sleep 1; done
login() { kubectl -n "$NS" exec deploy/tput-login -- "$@"; }
script=$(cat "$ROOT/bench/throughput-jobs.sh")
login bash -c "$script" throughput 2 >/dev/null
operator=$(login bash -c "$script" throughput "$JOBS")
kubectl delete namespace "$NS" --wait=false >/dev/null

rate() { awk '{for (i = 1; i < NF; i++) if ($i == "jobs_per_second") print $(i + 1)}'; }
{
  echo "# bench/throughput.sh on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $JOBS jobs of 'true' each, submitted back to back"
  echo "# from a login node; two 2-CPU nodes each; Slurm $(kubectl get slurmcluster -A -o jsonpath='{.items[0].status.slurmRelease}' 2>/dev/null || true)"
  echo "bare_slurm $(cat "$bare")"
  echo "operator $operator"
  echo "bare_jobs_per_second $(rate <"$bare")"
  echo "operator_jobs_per_second $(rate <<<"$operator")"
  echo "operator_to_bare_ratio $(awk -v a="$(rate <<<"$operator")" -v b="$(rate <"$bare")" 'BEGIN {printf "%.2f", a / b}')"
} | tee "$OUT"
rm -f "$bare"
