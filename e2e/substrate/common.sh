# Shared settings for the substrate scripts; sourced, not run.
SUBSTRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$SUBSTRATE_DIR/versions.env"
# Built binaries and images live outside the checkout, keyed by version, so a fresh clone reuses them.
SLURMKUBE_CACHE=${SLURMKUBE_CACHE:-/var/cache/slurmkube}
# All state of a running local cluster lives under one directory; `down` removes it.
SLURMKUBE_STATE=${SLURMKUBE_STATE:-/var/lib/slurmkube-cluster}
BIN_DIR="$SLURMKUBE_CACHE/bin/kubernetes-$KUBERNETES_VERSION"
# containerd, its runc shim and ctr, built by build-tools.sh (Debian's containerd is dockerd's).
CONTAINERD_BIN="$SLURMKUBE_CACHE/bin/containerd-$CONTAINERD_VERSION"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
require_root() { [ "$(id -u)" = 0 ] || die "$1 must run as root (it manages containerd, mounts and iptables); re-run it with sudo"; }
