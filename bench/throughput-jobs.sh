#!/usr/bin/env bash
# The job stream of bench/throughput.sh, run on a login node of the cluster under test: N short
# jobs (`true`, output to /dev/null) submitted back to back, then waited for until none is pending,
# running or completing. Prints one line: jobs, seconds to submit, seconds until all done, jobs/s.
set -euo pipefail
n=${1:?number of jobs}
t0=$(date +%s.%N)
for _ in $(seq "$n"); do sbatch --quiet --output=/dev/null --wrap true; done
t1=$(date +%s.%N)
while [ -n "$(squeue --noheader --me --format=%i)" ]; do sleep 0.1; done
t2=$(date +%s.%N)
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" \
  'BEGIN {printf "jobs %d submit_seconds %.2f done_seconds %.2f jobs_per_second %.2f\n", n, b - a, c - a, n / (c - a)}'
