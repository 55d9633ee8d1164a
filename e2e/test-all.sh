#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against a real kube-apiserver (kube-api-test,
# offline) and the end-to-end tests on a local Kubernetes that this script starts and stops.
# Does all of its own set-up on a new machine (Debian packages, Kubernetes tools, images).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/e2e/substrate/common.sh"
require_root "e2e/test-all.sh"

"$ROOT/e2e/substrate/install-packages.sh"
command -v javac >/dev/null || apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
"$ROOT/e2e/substrate/build-tools.sh" >/dev/null

# A cluster left over from an interrupted run would hold the ports.
"$ROOT/e2e/substrate/cluster.sh" down
trap '"$ROOT/e2e/substrate/cluster.sh" down; "$ROOT/e2e/substrate/docker.sh" down' EXIT
"$ROOT/e2e/substrate/cluster.sh" up
# The Testcontainers integration tests (the Slurm images against real daemons) use this dockerd.
"$ROOT/e2e/substrate/docker.sh" up

cd "$ROOT"
./mvnw -B -ntp verify -De2e.skip=false "$@"
