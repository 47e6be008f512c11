"""Run under mpiexec -n 3 by test_groups.py: collectives, DistributedDataParallel and
SyncBatchNorm on groups made by new_group, and the errors of misusing them.

Saves OUT/rank<r>.json (values and errors) and OUT/rank<r>.npz (parameters after each step).

    mpiexec -n 3 python tests/distributed/group_worker.py OUT
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_bn_cases import model, split, train  # noqa: E402

import minidl  # noqa: E402
import minidl.distributed as dist  # noqa: E402
from minidl import nn  # noqa: E402
from minidl.nn.parallel import DistributedDataParallel  # noqa: E402

out = Path(sys.argv[1])
dist.init_process_group("mpi")
rank = dist.get_rank()
info, saved = {}, {}


def error(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001  (recorded for the test to check)
        return [type(exc).__name__, str(exc)]
    return None


edges = dist.new_group([2, 0])  # world ranks 0 and 2 (sorted), without 1
info["rank_size"] = [dist.get_rank(edges), dist.get_world_size(edges)]
if rank in (0, 2):
    t = minidl.tensor([rank + 1.0])
    dist.all_reduce(t, group=edges)
    info["all_reduce"] = t.tolist()
    t = minidl.tensor([float(rank)])
    dist.broadcast(t, src=2, group=edges)  # src is a world rank, as in PyTorch
    info["broadcast"] = t.tolist()
    t = minidl.tensor([rank + 1.0])
    dist.reduce(t, dst=2, group=edges)
    info["reduce"] = t.tolist()
    parts = [minidl.zeros(1), minidl.zeros(1)]
    dist.all_gather(parts, minidl.tensor([float(rank)]), group=edges)
    info["all_gather"] = [p.item() for p in parts]
    t = minidl.tensor([1.0])
    dist.all_reduce(t, group=edges, async_op=True).wait()
    info["async"] = t.item()
    names = [None, None]
    dist.all_gather_object(names, f"r{rank}", group=edges)
    objects = [f"from {rank}"]
    dist.broadcast_object_list(objects, src=2, group=edges)
    info["objects"] = [names, objects]
    dist.barrier(group=edges)
    info["src_outside"] = error(lambda: dist.broadcast(minidl.ones(1), src=1, group=edges))
else:
    info["outsider"] = error(lambda: dist.all_reduce(minidl.ones(1), group=edges))
info["bad_ranks"] = error(lambda: dist.new_group([0, 3]))

# DDP and SyncBatchNorm on world ranks 1 and 2: parameters come from world rank 1
right = dist.new_group([1, 2])
if rank in (1, 2):
    net = nn.SyncBatchNorm.convert_sync_batchnorm(model(seed=rank), process_group=right)
    ddp = DistributedDataParallel(net, process_group=right)
    for step, state in enumerate(train(net, ddp, split([4, 4], 2), dist.get_rank(right))):
        for name, value in state.items():
            saved[f"{step}/{name}"] = value

dist.destroy_process_group(right)
info["destroyed"] = error(lambda: dist.all_reduce(minidl.ones(1), group=right))
np.savez(out / f"rank{rank}.npz", **saved)
(out / f"rank{rank}.json").write_text(json.dumps(info))
dist.destroy_process_group()
