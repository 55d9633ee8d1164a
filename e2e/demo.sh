#!/usr/bin/env bash
# The demo, on a new machine or an old one: a local Kubernetes, the project's images, the operator
# installed by its Helm chart, the example SlurmCluster, and a job submitted with sbatch from the
# login pod. Everything keeps running afterwards; `e2e/substrate/cluster.sh down` removes it all.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/e2e/substrate/common.sh"
require_root "e2e/demo.sh"
NS=slurm-demo

"$ROOT/e2e/substrate/install-packages.sh"
command -v javac >/dev/null || apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
"$ROOT/e2e/substrate/cluster.sh" status >/dev/null 2>&1 || "$ROOT/e2e/substrate/cluster.sh" up
eval "$("$ROOT/e2e/substrate/cluster.sh" env)"

log "building the operator"
(cd "$ROOT" && ./mvnw -q -B -ntp -pl slurm-operator,gpu-dra -am package -DskipTests)
"$ROOT/e2e/install-slurmkube.sh"

log "creating SlurmCluster demo in namespace $NS (examples/slurmcluster.yaml)"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$NS" apply -f "$ROOT/examples/slurmcluster.yaml"
kubectl -n "$NS" wait slurmcluster/demo --for=condition=Ready --timeout=300s >/dev/null
kubectl -n "$NS" get slurmcluster,nodeset

login() { kubectl -n "$NS" exec deploy/demo-login -- "$@"; }
log "writing a job script in the shared home (/home/demo) on the login pod and submitting it with sbatch"
kubectl -n "$NS" exec -i deploy/demo-login -- sh -c 'mkdir -p /home/demo && cat > /home/demo/hello.sh' <<'EOF'
#!/bin/bash
#SBATCH --job-name=hello
#SBATCH --output=slurm-%j.out
echo "Hello from Slurm job $SLURM_JOB_ID on $(hostname), working in $PWD"
srun hostname
date > "finished-$SLURM_JOB_ID.txt"
EOF
job=$(login sh -c 'cd /home/demo && sbatch --parsable hello.sh')
login squeue
log "job $job submitted; the node set scales up from zero to run it"
for _ in $(seq 120); do
  state=$(login sacct -X -n -P -o State -j "$job" | head -n1)
  case "$state" in COMPLETED|FAILED*|CANCELLED*|TIMEOUT*|NODE_FAIL*) break ;; esac
  sleep 2
done
echo "job $job: $state"
node=$(login sacct -X -n -P -o NodeList -j "$job" | head -n1)
echo "--- /home/demo/slurm-$job.out, read on the login pod (the job ran on $node) ---"
login cat "/home/demo/slurm-$job.out"
echo "--- ls /home/demo ---"
login ls -l /home/demo
echo "--- sinfo ---"
login sinfo
echo "--- squeue ---"
login squeue
echo "--- sacct ---"
login sacct -X -o JobID,JobName,Partition,State,Elapsed,NodeList
kubectl -n "$NS" get pods
echo
echo "The cluster keeps running: eval \"\$(e2e/substrate/cluster.sh env)\"; kubectl -n $NS exec -it deploy/demo-login -- bash"
