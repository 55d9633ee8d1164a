#!/usr/bin/env bash
# Measures the local Kubernetes substrate and writes the figures to bench/results/substrate.txt:
#   - warm build: build-tools.sh with every binary already cached;
#   - cold build (with --cold): the same into an empty cache and an empty Go build cache
#     (Go modules already downloaded are reused: the module download is network-bound);
#   - up: from `cluster.sh up` until the node is Ready, and until CoreDNS is ready too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUB=$ROOT/e2e/substrate
. "$SUB/common.sh"
require_root "bench/substrate.sh"
OUT=$ROOT/bench/results/substrate.txt
mkdir -p "$(dirname "$OUT")"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

"$SUB/install-packages.sh"
results=()
if [ "${1:-}" = "--cold" ]; then
  cold_cache=$(mktemp -d /var/tmp/slurmkube-cold.XXXXXX)
  t0=$(now)
  SLURMKUBE_CACHE=$cold_cache GOCACHE=$cold_cache/go-build "$SUB/build-tools.sh" >/dev/null
  results+=("cold_build_seconds $(secs "$t0" "$(now)")")
  rm -rf "$cold_cache"
fi
"$SUB/build-tools.sh" >/dev/null
t0=$(now)
"$SUB/build-tools.sh" >/dev/null
results+=("warm_build_seconds $(secs "$t0" "$(now)")")

"$SUB/cluster.sh" down >/dev/null 2>&1
eval "$("$SUB/cluster.sh" env)"
t0=$(now)
"$SUB/cluster.sh" up &
up_pid=$!
until kubectl get nodes 2>/dev/null | grep -q ' Ready'; do sleep 0.2; done
results+=("up_to_node_ready_seconds $(secs "$t0" "$(now)")")
wait "$up_pid"
results+=("up_to_dns_ready_seconds $(secs "$t0" "$(now)")")
"$SUB/cluster.sh" down >/dev/null

{
  echo "# bench/substrate.sh on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, Kubernetes $KUBERNETES_VERSION"
  printf '%s\n' "${results[@]}"
} | tee "$OUT"
