"""Run under mpiexec by test_sync_batch_norm.py: every case of sync_bn_cases.py with
SyncBatchNorm, then a converted model under DistributedDataParallel.

Saves OUT/rank<r>.npz (the arrays of each case) and OUT/rank<r>.json (what raised).

    mpiexec -n 2 python tests/distributed/sync_bn_worker.py OUT
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_bn_cases import CASES, model, run, split, train  # noqa: E402

import minidl  # noqa: E402
import minidl.distributed as dist  # noqa: E402
from minidl import nn  # noqa: E402
from minidl.nn.parallel import DistributedDataParallel  # noqa: E402

out = Path(sys.argv[1])
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
saved, info = {}, {}
for case, (_, per_sample, rows, kwargs) in CASES.items():
    layer = nn.SyncBatchNorm(per_sample[0], dtype=minidl.float64, **kwargs)
    for key, value in run(layer, per_sample, split(rows, size), rank).items():
        saved[f"{case}/{key}"] = value

# DDP over a converted model, each rank starting from another seed (DDP broadcasts rank 0's)
rows = split([4, 4], size)  # equal shares: DDP averages the ranks' mean losses
net = nn.SyncBatchNorm.convert_sync_batchnorm(model(seed=rank))
info["converted"] = type(net[1]).__name__
ddp = DistributedDataParallel(net)
for step, state in enumerate(train(net, ddp, rows, rank)):
    for name, value in state.items():
        saved[f"ddp/{step}/{name}"] = value

# create_graph through SyncBatchNorm: every rank raises the same clear error, none waits
x = minidl.randn(4, 3, dtype=minidl.float64, requires_grad=True)
y = nn.SyncBatchNorm(3, dtype=minidl.float64)(x)
try:
    minidl.autograd.grad(y.pow(3).sum(), x, create_graph=True)
    info["create_graph"] = "no error" if size > 1 else "ok"
except Exception as exc:  # noqa: BLE001  (recorded for the test to check)
    info["create_graph"] = f"{type(exc).__name__}: {exc}"

np.savez(out / f"rank{rank}.npz", **saved)
(out / f"rank{rank}.json").write_text(json.dumps(info))
dist.destroy_process_group()
