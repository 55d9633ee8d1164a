#!/usr/bin/env bash
# The upstream DRA example driver (sigs.k8s.io/dra-example-driver) on the local cluster: a
# third-party DRA driver that needs no GPU. Its kubelet plugin publishes simulated devices of the
# DeviceClass gpu.example.com and hands them to containers through CDI, as GPU_DEVICE_<n>
# variables (no device nodes). The e2e tests prove GPU node sets with another driver against it.
#
#   dra-example-driver.sh up [DEVICES]   its image (cached), loaded, and its own Helm chart
#                                        installed in namespace dra-example-driver (default 4 devices)
#   dra-example-driver.sh down           uninstalled; waits until its ResourceSlices are gone
# Binary and chart come from build-tools.sh (the Go module, DRA_EXAMPLE_DRIVER_VERSION).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_root "dra-example-driver.sh"
eval "$("$SUBSTRATE_DIR/cluster.sh" env)"

NAMESPACE=dra-example-driver
RELEASE=dra-example-driver
CHART=$SLURMKUBE_CACHE/bin/dra-example-driver-$DRA_EXAMPLE_DRIVER_VERSION/chart
KUBELET_DIR=$SLURMKUBE_STATE/kubelet

slices() {
  kubectl get resourceslices -o jsonpath='{range .items[?(@.spec.driver=="gpu.example.com")]}{.metadata.name}{"\n"}{end}'
}

up() {
  local devices=${1:-4}
  [ -f "$CHART/Chart.yaml" ] || die "the DRA example driver is not built yet: run e2e/substrate/build-tools.sh"
  "$SUBSTRATE_DIR/images.sh" load "$("$SUBSTRATE_DIR/images.sh" dra-example)"
  # Its plugin is privileged (it writes into the kubelet's directories and /var/run/cdi).
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl label namespace "$NAMESPACE" --overwrite pod-security.kubernetes.io/enforce=privileged >/dev/null
  log "installing the DRA example driver $DRA_EXAMPLE_DRIVER_VERSION ($devices devices of gpu.example.com)"
  helm upgrade --install "$RELEASE" "$CHART" --namespace "$NAMESPACE" --wait --timeout 180s \
    --set image.repository=slurmkube.local/dra-example-driver --set image.tag="$DRA_EXAMPLE_DRIVER_VERSION" \
    --set image.pullPolicy=Never \
    --set kubeletPlugin.numDevices="$devices" \
    --set kubeletPlugin.kubeletRegistrarDirectoryPath="$KUBELET_DIR/plugins_registry" \
    --set kubeletPlugin.kubeletPluginsDirectoryPath="$KUBELET_DIR/plugins" >/dev/null
  local i
  for i in $(seq 60); do
    [ -z "$(slices)" ] || { log "the DRA example driver publishes its devices"; return 0; }
    sleep 2
  done
  die "the DRA example driver published no ResourceSlice within 2 minutes (kubectl -n $NAMESPACE logs ds/$RELEASE-kubeletplugin)"
}

down() {
  helm uninstall "$RELEASE" --namespace "$NAMESPACE" --wait --timeout 120s >/dev/null 2>&1 || true
  kubectl delete namespace "$NAMESPACE" --ignore-not-found --wait=true --timeout=120s >/dev/null
  # The plugin removes its slices only when it stops cleanly: remove any it left.
  local slice
  for slice in $(slices); do kubectl delete resourceslice "$slice" --ignore-not-found >/dev/null; done
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  *) die "usage: dra-example-driver.sh up [DEVICES]|down" ;;
esac
