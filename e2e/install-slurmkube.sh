#!/usr/bin/env bash
# Builds the project's images, loads them into the local cluster and installs (or upgrades) the
# operator with its Helm chart (extra arguments go to `helm upgrade`). Used by the demo and the
# end-to-end tests. Needs the operator jar: `./mvnw -pl slurm-operator package` (e2e/demo.sh does).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/e2e/substrate/common.sh"
IMAGES=$ROOT/e2e/substrate/images.sh
NAMESPACE=${SLURMKUBE_OPERATOR_NAMESPACE:-slurmkube-system}
eval "$("$ROOT/e2e/substrate/cluster.sh" env)"

[ -f "$ROOT/slurm-operator/target/slurm-operator.jar" ] || die "no operator jar: run ./mvnw -pl slurm-operator package -DskipTests"
slurmd=$("$IMAGES" build "$ROOT/slurmd-image" slurmkube.local/slurmd:26.05)
archives=(
  "$("$IMAGES" build "$ROOT/slurmctld-image" slurmkube.local/slurmctld:26.05)"
  "$slurmd"
  # A team's own node image (OpenMPI, PMIx, Python with NumPy), built FROM the slurmd image.
  "$("$IMAGES" build "$ROOT/examples/mpi-image" slurmkube.local/slurmd-mpi:26.05 "$slurmd")"
  "$("$IMAGES" build "$ROOT/slurm-operator" slurmkube.local/slurm-operator:0.1.0)"
)
# The GPU DRA plugin's image, for `--set gpuDra.enabled=true` (needs ./mvnw -pl gpu-dra package).
if [ -f "$ROOT/gpu-dra/target/gpu-dra.jar" ]; then
  archives+=("$("$IMAGES" build "$ROOT/gpu-dra" slurmkube.local/gpu-dra:0.1.0)")
fi
"$IMAGES" load "${archives[@]}"

# Helm installs a chart's CRDs only the first time, never upgrades them: apply the current ones.
kubectl apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
# Pod Security admission on the operator's namespace: its pod meets "restricted"; the GPU DRA
# plugin's DaemonSet mounts the kubelet's directories (hostPath), which only "privileged" allows.
level=restricted
case " $* " in *gpuDra.enabled=true*) level=privileged ;; esac
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace "$NAMESPACE" --overwrite "pod-security.kubernetes.io/enforce=$level" >/dev/null
log "installing the operator chart into namespace $NAMESPACE (Pod Security: $level)"
helm upgrade --install slurmkube "$ROOT/charts/slurmkube-operator" --namespace "$NAMESPACE" --create-namespace \
  --set image.pullPolicy=Never --set-string podAnnotations.restartedAt="$(date +%s)" "$@" >/dev/null
kubectl -n "$NAMESPACE" rollout status deployment/slurmkube-operator --timeout=180s >/dev/null
log "operator is running in namespace $NAMESPACE"
