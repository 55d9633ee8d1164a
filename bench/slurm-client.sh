#!/usr/bin/env bash
# Benchmark of the operator's Slurm client against real Slurm daemons in containers: jobs listed
# per second with 10,000 jobs in the queue, and the cost of one autoscaler poll.
# Writes bench/results/slurm-client.txt (or $1); JOBS=N changes the queue length. Needs root (it
# builds the images and runs the dockerd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/results/slurm-client.txt}

. "$ROOT/bench/common.sh"
bench_dockerd
bench_test_classpath
java -cp "$CP" io.slurmkube.slurm.SlurmClientBench "$OUT" "${JOBS:-10000}"
