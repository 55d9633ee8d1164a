#!/usr/bin/env bash
# The demo: brings the local Kubernetes up and shows it. The cluster keeps running afterwards;
# stop it with `e2e/substrate/cluster.sh down`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/e2e/substrate/common.sh"
require_root "e2e/demo.sh"

"$ROOT/e2e/substrate/cluster.sh" status >/dev/null 2>&1 || "$ROOT/e2e/substrate/cluster.sh" up
eval "$("$ROOT/e2e/substrate/cluster.sh" env)"
kubectl get nodes,pods -A -o wide
echo
echo "The cluster keeps running: eval \"\$(e2e/substrate/cluster.sh env)\" to use kubectl, e2e/substrate/cluster.sh down to stop it."
