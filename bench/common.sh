# Sourced by the benchmarks: the project's dockerd or local Kubernetes for one run, and the test
# classpath of the operator module. Whatever a function starts is stopped again when the script
# exits; what was already running is left as it was.
# shellcheck shell=bash
. "$ROOT/e2e/substrate/common.sh"

# The project's dockerd, with the Testcontainers settings the benchmarks use.
bench_dockerd() {
  if ! "$ROOT/e2e/substrate/docker.sh" status; then
    "$ROOT/e2e/substrate/docker.sh" up
    trap '"$ROOT/e2e/substrate/docker.sh" down' EXIT
  fi
  eval "$("$ROOT/e2e/substrate/docker.sh" env)"
  export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost TESTCONTAINERS_CHECKS_DISABLE=true
}

# The local Kubernetes (built first when this machine has none yet).
bench_local_cluster() {
  require_root "$(basename "$0")"
  if ! "$ROOT/e2e/substrate/cluster.sh" status >/dev/null 2>&1; then
    "$ROOT/e2e/substrate/build-tools.sh" >/dev/null
    "$ROOT/e2e/substrate/cluster.sh" up
    trap '"$ROOT/e2e/substrate/cluster.sh" down' EXIT
  fi
}

# Sets CP to the operator module's test classpath (compiled first).
bench_test_classpath() {
  (cd "$ROOT" && ./mvnw -B -ntp -q -pl slurm-operator test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test)
  CP=$ROOT/slurm-operator/target/test-classes:$ROOT/slurm-operator/target/classes:$(cat "$ROOT/slurm-operator/target/bench.classpath")
}
