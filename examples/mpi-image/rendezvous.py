"""A torchrun-style rendezvous: rank 0 listens on MASTER_ADDR:MASTER_PORT (the job's first node)
and every other rank, on any node, connects to it by name, as torch.distributed does.

Usage (inside a job): MASTER_ADDR=<first host> MASTER_PORT=29500 srun python3 rendezvous.py
"""
import os
import socket
import sys
import time

rank = int(os.environ["SLURM_PROCID"])
size = int(os.environ["SLURM_NTASKS"])
master = os.environ["MASTER_ADDR"]
port = int(os.environ.get("MASTER_PORT", "29500"))
me = socket.gethostname()

if rank == 0:
    server = socket.create_server(("0.0.0.0", port))
    server.settimeout(60)
    peers = []
    while len(peers) < size - 1:
        conn, _ = server.accept()
        with conn:
            peers.append(conn.recv(256).decode())
            conn.sendall(b"welcome")
    print(f"rendezvous rank 0 on {me} ({master}:{port}): {size - 1} peers joined: {', '.join(sorted(peers))}", flush=True)
    sys.exit(0)

address = socket.gethostbyname(master)
deadline = time.time() + 60
while True:
    try:
        with socket.create_connection((address, port), timeout=5) as conn:
            conn.sendall(f"rank {rank}@{me}".encode())
            reply = conn.recv(64).decode()
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
print(f"rendezvous rank {rank} on {me}: {master} resolved to {address}, master said {reply}", flush=True)
