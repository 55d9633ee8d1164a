"""Every rank adds its number into an MPI allreduce and checks the sum; each writes its result to a file.

Usage (inside a job): srun --mpi=pmix python3 allreduce.py OUTPUT_DIR
"""
import os
import socket
import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
local = np.array([rank + 1.0, 1.0])
total = np.zeros(2)
comm.Allreduce(local, total, op=MPI.SUM)
expected = size * (size + 1) // 2
verdict = "OK" if total[0] == expected and total[1] == size else "WRONG"
line = (f"rank {rank} of {size} on {socket.gethostname()}: allreduce sum={total[0]:.0f} "
        f"expected={expected} ranks={total[1]:.0f} {verdict}")
print(line, flush=True)
out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
with open(os.path.join(out_dir, f"rank-{rank}.txt"), "w") as f:
    f.write(line + "\n")
sys.exit(0 if verdict == "OK" else 1)
