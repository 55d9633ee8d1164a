#!/usr/bin/env bash
# Builds the pinned upstream tools (Kubernetes, containerd, etcd, CoreDNS, Helm, KWOK, Prometheus,
# kube-network-policies, the DRA example driver) from the Go module proxy
# into $SLURMKUBE_CACHE/bin, keyed by version. A second run with the same versions does nothing.
# Prints the directory holding the binaries on stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

# go_build_module DIR MODULE@VERSION OUTPUT_DIR PACKAGE... [-- LDFLAGS]
# Builds main packages of a module from a throwaway wrapper module, so that modules whose
# own go.mod carries replace directives (which `go install pkg@version` refuses) still build.
go_wrapper() {
  local dir=$1 mod=$2 ver=$3
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init slurmkube.local/tools >/dev/null 2>&1 && go mod edit -require="$mod@$ver")
}

build_kubernetes() {
  local out=$BIN_DIR
  if all_present "$out" "${K8S_COMMANDS[@]}"; then return; fi
  log "building Kubernetes $KUBERNETES_VERSION (${K8S_COMMANDS[*]}): the first build takes a while"
  local work=$SLURMKUBE_CACHE/work/kubernetes-$KUBERNETES_VERSION
  go_wrapper "$work" k8s.io/kubernetes "$KUBERNETES_VERSION"
  # k8s.io/kubernetes points its staging modules at ./staging; point them at the published
  # v0.<minor>.<patch> releases instead.
  local gomod staging_version=v0.${KUBERNETES_VERSION#v1.}
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local replaces=()
  while read -r module; do replaces+=("-replace=$module=$module@$staging_version"); done \
    < <(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")
  (cd "$work" && go mod edit "${replaces[@]}")
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local pkgs=()
  for c in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  # An explicit @version on each package: a bare `go get` would upgrade to the newest release.
  (cd "$work" && go get "${pkgs[@]/%/@$KUBERNETES_VERSION}" 2>&1 | grep -v '^go: ' >&2 || true
   mkdir -p "$out.tmp" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" "${pkgs[@]}")
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# build_simple NAME VERSION MODULE PACKAGE BINARY [BUILD_TAGS]
build_simple() {
  local name=$1 ver=$2 mod=$3 pkg=$4 bin=$5 tags=${6:-}
  local out=$SLURMKUBE_CACHE/bin/$name-$ver
  if all_present "$out" "$bin"; then return; fi
  log "building $name $ver"
  local work=$SLURMKUBE_CACHE/work/$name-$ver
  go_wrapper "$work" "$mod" "$ver"
  (cd "$work" && go get "$pkg@$ver" 2>&1 | grep -v '^go: ' >&2 || true
   mkdir -p "$out.tmp" && CGO_ENABLED=0 go build -trimpath -tags "$tags" -ldflags "-s -w" -o "$out.tmp/$bin" "$pkg")
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# containerd 2 (daemon, runc shim, ctr): the local cluster's runtime, with CDI. Pure Go: btrfs
# (cgo) and devmapper snapshotters are left out, overlayfs is all the cluster uses. runc is Debian's.
build_containerd() {
  local out=$SLURMKUBE_CACHE/bin/containerd-$CONTAINERD_VERSION
  local cmds=(containerd containerd-shim-runc-v2 ctr)
  if all_present "$out" "${cmds[@]}"; then return; fi
  log "building containerd $CONTAINERD_VERSION"
  local mod=github.com/containerd/containerd/v2 work=$SLURMKUBE_CACHE/work/containerd-$CONTAINERD_VERSION
  go_wrapper "$work" "$mod" "$CONTAINERD_VERSION"
  local pkgs=()
  for c in "${cmds[@]}"; do pkgs+=("$mod/cmd/$c"); done
  (cd "$work" && go get "${pkgs[@]/%/@$CONTAINERD_VERSION}" 2>&1 | grep -v '^go: ' >&2 || true
   mkdir -p "$out.tmp" && CGO_ENABLED=0 go build -trimpath -tags "no_btrfs no_devmapper" \
     -ldflags "-s -w -X $mod/version.Version=$CONTAINERD_VERSION" -o "$out.tmp/" "${pkgs[@]}")
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# The upstream DRA example driver: its kubelet plugin, and the Helm chart from the same module.
build_dra_example_driver() {
  local mod=sigs.k8s.io/dra-example-driver out=$SLURMKUBE_CACHE/bin/dra-example-driver-$DRA_EXAMPLE_DRIVER_VERSION
  build_simple dra-example-driver "$DRA_EXAMPLE_DRIVER_VERSION" "$mod" "$mod/cmd/dra-example-kubeletplugin" \
    dra-example-kubeletplugin
  [ ! -f "$out/chart/Chart.yaml" ] || return 0
  local dir
  dir=$(cd / \
    && go mod download -json "$mod@$DRA_EXAMPLE_DRIVER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -f "$dir/deployments/helm/dra-example-driver/Chart.yaml" ] || die "no Helm chart in $mod@$DRA_EXAMPLE_DRIVER_VERSION"
  rm -rf "$out/chart.tmp" && cp -r "$dir/deployments/helm/dra-example-driver" "$out/chart.tmp"
  chmod -R u+w "$out/chart.tmp" && mv "$out/chart.tmp" "$out/chart"
}

all_present() { local d=$1; shift; for b in "$@"; do [ -x "$d/$b" ] || return 1; done; }

main() {
  command -v go >/dev/null || die "Go is required to build the Kubernetes tools: install the golang toolchain"
  mkdir -p "$SLURMKUBE_CACHE/bin"
  build_kubernetes
  build_containerd
  build_simple etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd
  build_simple coredns "$COREDNS_VERSION" github.com/coredns/coredns github.com/coredns/coredns coredns
  build_simple helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm helm
  build_simple kwok "$KWOK_VERSION" sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok kwok
  # Only the e2e tests run it, with one static target: remove_all_sd leaves out the cloud service
  # discoveries (most of its dependencies), and without builtinassets the web UI is not embedded
  # (the HTTP API is all the tests use).
  build_simple prometheus "$PROMETHEUS_VERSION" github.com/prometheus/prometheus \
    github.com/prometheus/prometheus/cmd/prometheus prometheus remove_all_sd
  build_simple kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION" sigs.k8s.io/kube-network-policies \
    sigs.k8s.io/kube-network-policies/cmd kube-network-policies
  build_dra_example_driver
  # One directory with everything, as the other scripts and the tests expect it.
  local all=$SLURMKUBE_CACHE/bin/all-$KUBERNETES_VERSION
  mkdir -p "$all"
  for b in "${K8S_COMMANDS[@]}"; do ln -sf "$BIN_DIR/$b" "$all/$b"; done
  ln -sf "$SLURMKUBE_CACHE/bin/etcd-$ETCD_VERSION/etcd" "$all/etcd"
  for b in containerd containerd-shim-runc-v2 ctr; do ln -sf "$SLURMKUBE_CACHE/bin/containerd-$CONTAINERD_VERSION/$b" "$all/$b"; done
  ln -sf "$SLURMKUBE_CACHE/bin/coredns-$COREDNS_VERSION/coredns" "$all/coredns"
  ln -sf "$SLURMKUBE_CACHE/bin/helm-$HELM_VERSION/helm" "$all/helm"
  ln -sf "$SLURMKUBE_CACHE/bin/kwok-$KWOK_VERSION/kwok" "$all/kwok"
  ln -sf "$SLURMKUBE_CACHE/bin/kube-network-policies-$KUBE_NETWORK_POLICIES_VERSION/kube-network-policies" "$all/kube-network-policies"
  # The layout fabric8 kube-api-test reads in offline mode: <dir>/k8s/<version>-linux-amd64/.
  local kat=$SLURMKUBE_CACHE/kube-api-test/k8s/${KUBERNETES_VERSION#v}-linux-amd64
  mkdir -p "$kat"
  for b in etcd kube-apiserver kubectl; do cp -f "$all/$b" "$kat/$b"; done
  echo "$all"
}
main "$@"
