#!/usr/bin/env bash
# Installs the Debian packages the local cluster and image builds need. Idempotent and quick
# when everything is already there.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_root "install-packages.sh"

PACKAGES=(containerd runc containernetworking-plugins conntrack iptables iproute2 ipset ethtool
  socat kmod util-linux mount docker.io debootstrap umoci skopeo openssl curl ca-certificates
  jq procps psmisc)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package post-install scripts try to start services; there is no init system here.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || die "Go is required: install golang (1.24 or newer)"
