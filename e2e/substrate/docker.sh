#!/usr/bin/env bash
# A dockerd of the project's own, for image builds and the Testcontainers integration tests:
# no default bridge and no iptables rules, so it leaves nothing behind in the host's network
# (builds use the host network; tests make their own user-defined networks).
#
#   docker.sh up        start it unless it already answers
#   docker.sh down      remove what the tests left (containers and networks labelled by
#                       Testcontainers), then stop it; safe to run twice
#   docker.sh status    exit 0 when it answers
#   docker.sh env       print `export DOCKER_HOST=...` for it
set -euo pipefail
. "$(dirname "$0")/common.sh"

DOCKER_ROOT=$SLURMKUBE_CACHE/docker
DOCKER_SOCK=/run/slurmkube-docker.sock
DOCKER_PID=/run/slurmkube-docker.pid
export DOCKER_HOST=unix://$DOCKER_SOCK

running() { docker version >/dev/null 2>&1; }

up() {
  require_root "docker.sh up"
  running && return 0
  mkdir -p "$DOCKER_ROOT"
  log "starting a dockerd (data in $DOCKER_ROOT, socket $DOCKER_SOCK)"
  setsid dockerd --host "$DOCKER_HOST" --data-root "$DOCKER_ROOT" --exec-root /run/slurmkube-docker \
    --pidfile "$DOCKER_PID" --bridge none --iptables=false --ip-masq=false \
    --storage-driver overlay2 >"$SLURMKUBE_CACHE/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 60); do
    running && return 0
    sleep 1
  done
  die "dockerd did not start; see $SLURMKUBE_CACHE/dockerd.log"
}

down() {
  [ -f "$DOCKER_PID" ] || return 0
  if running; then
    local ids
    ids=$(docker ps -aq --filter label=org.testcontainers=true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    ids=$(docker network ls -q --filter label=org.testcontainers=true)
    [ -z "$ids" ] || docker network rm $ids >/dev/null 2>&1 || true
  fi
  kill "$(cat "$DOCKER_PID")" 2>/dev/null || true
  for _ in $(seq 30); do [ -f "$DOCKER_PID" ] || break; sleep 1; done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) running ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *) die "usage: docker.sh up|down|status|env" ;;
esac
