"""Run under mpiexec by test_faults.py: one rank fails while the others wait for it.

    mpiexec -n 2 python tests/distributed/fault_worker.py raise|kill|mismatch|timeout

raise:    rank 1 raises while rank 0 is in an all_reduce that needs it;
kill:     rank 1 is killed (SIGKILL) in the middle of training;
mismatch: rank 1 builds a model with a different parameter shape;
timeout:  with a 2 s timeout, collectives that finish in time pass; then rank 1 is stuck
          (sleeps) while rank 0 waits in an all_reduce.
Each must end the whole job quickly, with a clear message, instead of leaving rank 0 waiting.
"""
import os
import signal
import sys
import time
from datetime import timedelta

import minidl
import minidl.distributed as dist
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.nn.parallel import DistributedDataParallel

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=timedelta(seconds=2) if mode == "timeout" else None)
rank = dist.get_rank()

if mode == "timeout":
    dist.all_reduce(minidl.ones(4))
    dist.all_reduce(minidl.ones(4), async_op=True).wait()
    dist.barrier()
    names = [None, None]
    dist.all_gather_object(names, f"r{rank}")
    print(f"rank {rank}: in time {names}", flush=True)
    if rank == 1:
        time.sleep(60)  # stuck: neither dead nor raising
    dist.all_reduce(minidl.ones(4))  # rank 0 must give up after 2 s

if mode == "raise":
    if rank == 1:
        raise ValueError("boom on rank 1")
    dist.all_reduce(minidl.ones(4))  # waits for rank 1, which will never come

model = nn.Linear(4, 5 if mode == "mismatch" and rank == 1 else 4)
ddp = DistributedDataParallel(model)
optimizer = optim.SGD(ddp.parameters(), lr=0.1)
for step in range(1000):
    if mode == "kill" and rank == 1 and step == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    optimizer.zero_grad()
    F.mse_loss(ddp(minidl.randn(8, 4)), minidl.zeros(8, 4)).backward()
    optimizer.step()
print(f"rank {rank} finished", flush=True)  # must never be reached
