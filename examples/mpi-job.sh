#!/bin/bash
# A multi-node MPI job for the mpi node set of examples/slurmcluster-mpi.yaml: 4 ranks on 2 nodes
# compute an allreduce, then every rank joins a torchrun-style rendezvous on the first node.
# Submit it from your home directory on the login pod: sbatch mpi-job.sh
#SBATCH --job-name=allreduce
#SBATCH --partition=mpi
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=2
#SBATCH --output=slurm-%j.out
set -euo pipefail
results=$PWD/results-$SLURM_JOB_ID
mkdir -p "$results"
echo "job $SLURM_JOB_ID: $SLURM_NTASKS ranks on $SLURM_JOB_NODELIST"
# Slurm's PMIx plugin starts the ranks itself where Slurm was built with it (Debian's 24.11 was);
# Debian's 26.05 comes without it, and OpenMPI's own launcher then starts them through srun.
if srun --mpi=list 2>&1 | grep -qw pmix; then
  srun --mpi=pmix python3 /opt/slurmkube-examples/allreduce.py "$results"
else
  as_root=()
  [ "$(id -u)" != 0 ] || as_root=(--allow-run-as-root) # mpirun refuses root unless told
  mpirun "${as_root[@]}" python3 /opt/slurmkube-examples/allreduce.py "$results"
fi
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)
export MASTER_ADDR MASTER_PORT=29500
srun python3 /opt/slurmkube-examples/rendezvous.py
echo "all ranks done" > "$results/done"
