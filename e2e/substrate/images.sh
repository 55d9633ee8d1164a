#!/usr/bin/env bash
# Builds the images the local cluster runs, with no registry: Debian bases made by debootstrap,
# the pod sandbox (pause) image, CoreDNS, and any of the project's Dockerfiles.
# Each image is kept as a docker-archive tar in $SLURMKUBE_CACHE/images, keyed by its inputs.
#
#   images.sh base [SUITE]              Debian minbase (default: the suite of $SLURM_RELEASE)
#                                                                        -> slurmkube.local/debian:SUITE
#   images.sh pause                     catatonit -P                     -> slurmkube.local/pause:<version>
#   images.sh coredns                   the CoreDNS built by build-tools -> slurmkube.local/coredns:<version>
#   images.sh netpol                    kube-network-policies (build-tools) -> slurmkube.local/kube-network-policies:<version>
#   images.sh dra-example               the DRA example driver's kubelet plugin (build-tools)
#                                                                        -> slurmkube.local/dra-example-driver:<version>
#   images.sh build DIR NAME:TAG [PARENT.tar]
#                                       docker build of DIR (FROM slurmkube.local/debian:SUITE, or FROM
#                                       the image in PARENT.tar, an archive this script built). A
#                                       Dockerfile that declares ARG DEBIAN_SUITE and SLURM_DEBIAN_VERSION
#                                       gets them for $SLURM_RELEASE (default: SLURM_DEFAULT_RELEASE in versions.env).
#   images.sh load TAR...               import archives into the local cluster's containerd
# Every command but `load` prints the path of the archive it produced.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_root "images.sh"

IMAGES=$SLURMKUBE_CACHE/images
REGISTRY=slurmkube.local
PAUSE_VERSION=catatonit-1
mkdir -p "$IMAGES"

# The Debian suite and Slurm package version of $SLURM_RELEASE, from versions.env (SLURM_26_05=...).
SLURM_RELEASE=${SLURM_RELEASE:-$SLURM_DEFAULT_RELEASE}
slurm_release_var=SLURM_${SLURM_RELEASE//./_}
[ -n "${!slurm_release_var:-}" ] || die "no Slurm release $SLURM_RELEASE in e2e/substrate/versions.env (add $slurm_release_var=\"SUITE VERSION\")"
read -r SLURM_SUITE SLURM_DEBIAN_VERSION <<<"${!slurm_release_var}"

# The Debian mirror this machine's apt already uses, so that debootstrap needs no configuration.
debian_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$uri" ] || die "cannot find a Debian mirror in the apt sources; set DEBIAN_MIRROR"
  echo "${DEBIAN_MIRROR:-$uri}"
}

# pack_rootfs ROOTFS NAME:TAG OUT.tar [umoci config flags...]: a one-layer image from a directory.
pack_rootfs() {
  local rootfs=$1 ref=$2 out=$3; shift 3
  local work; work=$(mktemp -d "$IMAGES/.pack.XXXXXX")
  tar -C "$rootfs" --numeric-owner -cf "$work/layer.tar" .
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:img"
  umoci raw add-layer --image "$work/oci:img" "$work/layer.tar"
  umoci config --image "$work/oci:img" --os linux --architecture amd64 \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  rm -f "$out.tmp"
  skopeo copy --quiet "oci:$work/oci:img" "docker-archive:$out.tmp:$ref"
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

build_base() {
  local suite=${1:-$SLURM_SUITE}
  local out=$IMAGES/debian-$suite.tar
  if [ ! -s "$out" ]; then
    log "building the Debian $suite base image with debootstrap"
    local root; root=$(mktemp -d "$IMAGES/.rootfs.XXXXXX")
    # An older debootstrap has no script for a suite newer than itself: testing is built like sid.
    local script=/usr/share/debootstrap/scripts/$suite
    [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
    debootstrap --variant=minbase "$suite" "$root" "$(debian_mirror)" "$script" >"$IMAGES/debootstrap-$suite.log" 2>&1 \
      || die "debootstrap failed; see $IMAGES/debootstrap-$suite.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    # The mirror here may serve a testing suite frozen past its Release file's Valid-Until (forky's
    # was 30 days stale): apt would refuse its package lists. Packages are still checked by signature.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/90slurmkube-frozen-mirror"
    pack_rootfs "$root" "$REGISTRY/debian:$suite" "$out" --config.cmd /bin/bash
    rm -rf "$root"
  fi
  echo "$out"
}

build_pause() {
  local out=$IMAGES/pause-$PAUSE_VERSION.tar
  if [ ! -s "$out" ]; then
    log "building the pod sandbox image (catatonit in pause mode)"
    local work; work=$(mktemp -d "$IMAGES/.pause.XXXXXX")
    (cd "$work" && apt-get download catatonit >/dev/null 2>&1) || die "cannot download the catatonit package"
    dpkg-deb -x "$work"/catatonit_*.deb "$work/pkg"
    mkdir -p "$work/rootfs" && cp "$work/pkg/usr/bin/catatonit" "$work/rootfs/pause"
    pack_rootfs "$work/rootfs" "$REGISTRY/pause:$PAUSE_VERSION" "$out" \
      --config.entrypoint /pause --config.entrypoint -P --config.user 65535:65535
    rm -rf "$work"
  fi
  echo "$out"
}

# binary_image NAME VERSION BINARY [umoci config flags...]: an image of one static binary that
# build-tools.sh built into $SLURMKUBE_CACHE/bin/NAME-VERSION, at /BINARY -> slurmkube.local/NAME:VERSION.
binary_image() {
  local name=$1 version=$2 bin=$3; shift 3
  local out=$IMAGES/$name-$version.tar
  if [ ! -s "$out" ]; then
    log "building the $name image"
    local built=$SLURMKUBE_CACHE/bin/$name-$version/$bin
    [ -x "$built" ] || die "$name is not built yet: run e2e/substrate/build-tools.sh"
    local work; work=$(mktemp -d "$IMAGES/.$name.XXXXXX")
    mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp" && cp "$built" "$work/rootfs/$bin"
    pack_rootfs "$work/rootfs" "$REGISTRY/$name:$version" "$out" "$@"
    rm -rf "$work"
  fi
  echo "$out"
}

build_coredns() {
  binary_image coredns "$COREDNS_VERSION" coredns --config.entrypoint /coredns --config.user 65532:65532
}

# The NetworkPolicy enforcer: one static binary (nftables and nfqueue over netlink, no nft command).
build_netpol() {
  binary_image kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION" kube-network-policies \
    --config.entrypoint /kube-network-policies
}

# The upstream DRA example driver's kubelet plugin; its chart runs the command by name, so / is on PATH.
build_dra_example() {
  binary_image dra-example-driver "$DRA_EXAMPLE_DRIVER_VERSION" dra-example-kubeletplugin \
    --config.env PATH=/:/usr/bin:/bin
}

# The project's dockerd (docker.sh): started for the build and stopped after it, unless it was
# already running (the integration tests keep one up while they build images).
DOCKER=$SUBSTRATE_DIR/docker.sh
start_dockerd() {
  "$DOCKER" status && return 0
  "$DOCKER" up
  trap '"$DOCKER" down' EXIT
}

# The files of the current directory that its .dockerignore lets into a build, NUL-separated:
# patterns apply in order, a later '!pattern' takes back what an earlier one left out, and a
# pattern also covers everything under a directory it names.
build_context_files() {
  local patterns=() f p keep negated
  [ ! -f .dockerignore ] || mapfile -t patterns < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' .dockerignore)
  find . -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r f; do
    keep=1
    for p in "${patterns[@]}"; do
      negated=0
      [ "${p#!}" = "$p" ] || { negated=1; p=${p#!}; }
      p=${p%/}
      # shellcheck disable=SC2053 # the pattern is a glob on purpose
      if [[ $f == $p || $f == $p/* ]]; then keep=$negated; fi
    done
    # The Dockerfile and .dockerignore shape the build whatever they say of themselves.
    case $f in Dockerfile|.dockerignore) keep=1 ;; esac
    [ "$keep" = 0 ] || printf '%s\0' "$f"
  done
}

# prune_archives NAME:TAG: keeps the three newest archives of an image. Each source change makes a
# new one (about 450 MB for the operator), and a day of rebuilds had filled the disk until the
# kubelet tainted the node with disk-pressure.
prune_archives() {
  local prefix f; prefix=$IMAGES/$(echo "$1" | tr '/:' '__')-
  # Exactly this tag's archives (prefix and a 16-digit key): "0.1.0-patched" is another image.
  for f in $(ls -t "$prefix"*.tar 2>/dev/null); do
    if [[ ${f#"$prefix"} =~ ^[0-9a-f]{16}\.tar$ ]]; then echo "$f"; fi
  done | tail -n +4 | xargs -r rm -f --
}

# build DIR NAME:TAG [PARENT.tar]: rebuilt only when the files of DIR, the base image or the parent change.
build_dockerfile() {
  local dir=$1 ref=$2 parent=${3:-}
  [ -f "$dir/Dockerfile" ] || die "no Dockerfile in $dir"
  [ -z "$parent" ] || [ -s "$parent" ] || die "no parent image archive $parent"
  # The Slurm images take their release as build arguments (the same Dockerfiles build every
  # release); the others name their Debian base in FROM; an image FROM a parent needs no base.
  local args=() suite base=
  if grep -q '^ARG DEBIAN_SUITE' "$dir/Dockerfile"; then
    suite=$SLURM_SUITE
    args=(--build-arg "DEBIAN_SUITE=$SLURM_SUITE" --build-arg "SLURM_DEBIAN_VERSION=$SLURM_DEBIAN_VERSION")
  else
    suite=$(sed -n "s|^FROM $REGISTRY/debian:\([a-z]*\).*|\1|p" "$dir/Dockerfile" | head -n1)
  fi
  [ -z "$suite" ] || base=$(build_base "$suite")
  # What .dockerignore leaves out of the build cannot change the image: it stays out of the key too
  # (slurmctld-image/queue-reader/target, Maven's output next to the sources the image compiles).
  local key; key=$( (cd "$dir" && build_context_files | xargs -0 -r sha256sum; for f in $base $parent; do sha256sum "$f"; done; echo "${args[*]}") | sha256sum | cut -c1-16)
  local out=$IMAGES/$(echo "$ref" | tr '/:' '__')-$key.tar
  if [ ! -s "$out" ]; then
    start_dockerd
    eval "$("$DOCKER" env)"
    local d=docker
    # The base as this script archived it (debootstrap again makes a new one under the same tag).
    [ -z "$base" ] || $d load -q -i "$base" >/dev/null
    # The parent as this script archived it (a tag left in dockerd may be an older build).
    [ -z "$parent" ] || $d load -q -i "$parent" >/dev/null
    log "building $ref from $dir"
    DOCKER_BUILDKIT=0 $d build -q --network host "${args[@]}" -t "$ref" "$dir" >/dev/null
    $d save -o "$out.tmp" "$ref" && mv "$out.tmp" "$out"
    prune_archives "$ref"
  fi
  echo "$out"
}

load_into_cluster() {
  local sock=$SLURMKUBE_STATE/containerd/containerd.sock
  [ -S "$sock" ] || die "the local cluster is not running (no $sock): run e2e/substrate/cluster.sh up"
  for tar in "$@"; do
    "$CONTAINERD_BIN/ctr" --address "$sock" -n k8s.io images import --no-unpack=false "$tar" >/dev/null
  done
}

case "${1:-}" in
  base) shift; build_base "$@" ;;
  pause) build_pause ;;
  coredns) build_coredns ;;
  netpol) build_netpol ;;
  dra-example) build_dra_example ;;
  build) shift; [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: images.sh build DIR NAME:TAG [PARENT.tar]"; build_dockerfile "$@" ;;
  load) shift; load_into_cluster "$@" ;;
  *) die "usage: images.sh base [SUITE]|pause|coredns|netpol|dra-example|build DIR NAME:TAG [PARENT.tar]|load TAR..." ;;
esac
