#!/usr/bin/env bash
# End-to-end figures of autoscaling on the local Kubernetes, written to bench/results/slurm-autoscale.txt:
#   - scale decision: from sbatch to the NodeSet's spec.replicas rising (empty node set);
#   - job RUNNING: from sbatch on an empty node set to the job RUNNING (p50 and p90 over RUNS runs);
#   - the most replicas each run asked for (one job: 1; more is an extra pod);
#   - apply to first job: from applying the example SlurmCluster to its first job COMPLETED;
#   - the operator's heap, from its /metrics.
# Needs the local cluster with the operator installed (e2e/demo.sh leaves both). Images already built.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/e2e/substrate/common.sh"
eval "$("$ROOT/e2e/substrate/cluster.sh" env)"
RUNS=${RUNS:-5}
NS=bench-autoscale
OUT=$ROOT/bench/results/slurm-autoscale.txt

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
login() { kubectl -n "$NS" exec deploy/demo-login -- "$@"; }
replicas() { kubectl -n "$NS" get nodeset demo-cpu -o jsonpath='{.spec.replicas}'; }
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p+0.5)+1; print a[i]}'; }

kubectl delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$NS" >/dev/null
t0=$(now)
sed 's/scaleDownDelaySeconds: 30/scaleDownDelaySeconds: 5/' "$ROOT/examples/slurmcluster.yaml" | kubectl -n "$NS" apply -f - >/dev/null
kubectl -n "$NS" wait slurmcluster/demo --for=condition=Ready --timeout=300s >/dev/null
first=$(login sbatch --parsable --wrap true)
until [ "$(login sacct -X -n -P -o State -j "$first" | head -n1)" = COMPLETED ]; do sleep 0.5; done
apply_to_first_job=$(elapsed "$t0")

# The job is submitted and watched from inside the login pod (one exec, squeue every 50 ms), so a
# kubectl exec per poll does not add its own second; the node set's replicas are watched from here.
# Both clocks are this machine's.
probe='t0=$(date +%s.%N); job=$(sbatch --parsable --wrap "sleep 1"); echo "submitted $t0 $job"
until [ "$(squeue -h -o %T -j "$job")" = RUNNING ] || [ -z "$(squeue -h -j "$job")" ]; do sleep 0.05; done
echo "running $(date +%s.%N)"'
decisions=() runnings=() most=()
for i in $(seq "$RUNS"); do
  # Start from an empty node set.
  until [ "$(replicas)" = 0 ] && [ -z "$(kubectl -n "$NS" get pods -l slurmkube.io/nodeset=cpu -o name)" ]; do sleep 1; done
  watch=$(mktemp)
  kubectl -n "$NS" get nodeset demo-cpu -w -o jsonpath='{.spec.replicas}{"\n"}' \
    | while read -r r; do echo "$(now) $r"; done >"$watch" &
  watcher=$!
  sleep 1
  out=$(login bash -c "$probe")
  sleep 2
  kill "$watcher" 2>/dev/null; pkill -f "get nodeset demo-cpu -w" 2>/dev/null || true
  t0=$(awk '/^submitted/ {print $2}' <<<"$out")
  t1=$(awk '/^running/ {print $2}' <<<"$out")
  decided=$(awk -v t0="$t0" '$1 > t0 && $2 > 0 {print $1; exit}' "$watch")
  decisions+=("$(awk -v a="$t0" -v b="$decided" 'BEGIN {printf "%.2f", b - a}')")
  runnings+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')")
  most+=("$(awk '$2 > m {m = $2} END {print m + 0}' "$watch")")
  rm -f "$watch"
  echo "run $i: decision ${decisions[-1]} s, RUNNING ${runnings[-1]} s, most replicas ${most[-1]}" >&2
done

heap=$(kubectl get --raw "/api/v1/namespaces/slurmkube-system/services/slurmkube-operator-metrics:8080/proxy/metrics" \
  | awk '/^jvm_memory_used_bytes/ && /area="heap"/ {s += $NF} END {printf "%.1f", s / 1048576}')
kubectl delete namespace "$NS" --wait=false >/dev/null

{
  echo "# bench/slurm-autoscale.sh on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, images prebuilt, $RUNS runs"
  echo "apply_to_first_job_completed_seconds $apply_to_first_job"
  echo "scale_decision_seconds_p50 $(printf '%s\n' "${decisions[@]}" | percentile 0.5)"
  echo "scale_decision_seconds_p90 $(printf '%s\n' "${decisions[@]}" | percentile 0.9)"
  echo "submit_to_running_seconds_p50 $(printf '%s\n' "${runnings[@]}" | percentile 0.5)"
  echo "submit_to_running_seconds_p90 $(printf '%s\n' "${runnings[@]}" | percentile 0.9)"
  echo "submit_to_running_seconds_all ${runnings[*]}"
  echo "scale_decision_seconds_all ${decisions[*]}"
  echo "most_replicas_per_run ${most[*]}"
  echo "operator_heap_used_mib $heap"
} | tee "$OUT"
