"""Run under mpiexec by test_ddp.py: every variant of ddp_cases.py under DistributedDataParallel.

Rank r builds its model from seed r (DDP must replace it with rank 0's), trains on its share
of each global batch, and saves its parameters after every step to OUT/rank<r>.npz, plus
OUT/rank<r>.json with what the gradients looked like.

    mpiexec -n 2 python tests/distributed/ddp_worker.py OUT
"""
import contextlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ddp_cases import RANK_BATCH, STEPS, VARIANTS, build, global_batch, make_optimizer  # noqa
from ddp_cases import train_step  # noqa: E402

import minidl.distributed as dist  # noqa: E402
from minidl.nn.parallel import DistributedDataParallel  # noqa: E402

out = Path(sys.argv[1])
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
saved, info = {}, {}
for variant, (_, bucket_cap_mb, _, _, _) in VARIANTS.items():
    model, kind = build(variant, seed=rank)  # different on every rank, on purpose
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    if variant == "pieces":
        ddp.reducer.piece_bytes = 40
    optimizer = make_optimizer(kind, ddp.parameters())
    info[variant] = {"buckets": len(ddp.reducer.buckets)}

    def sync(i, micro, ddp=ddp):  # accumulate locally in every micro-batch but the last
        return ddp.no_sync() if i < micro - 1 else contextlib.nullcontext()

    for step in range(STEPS):
        x, y = global_batch(step, size)
        rows = slice(rank * RANK_BATCH, (rank + 1) * RANK_BATCH)
        train_step(model, ddp, optimizer, variant, step, x[rows], y[rows], sync)
        for name, p in model.named_parameters():
            saved[f"{variant}/{step}/{name}"] = p.detach().numpy().copy()
    info[variant]["grad_is_view"] = all(p.grad._array.base is not None
                                        for p in model.parameters())
    info[variant]["state_dict_keys"] = list(ddp.state_dict())

np.savez(out / f"rank{rank}.npz", **saved)
(out / f"rank{rank}.json").write_text(json.dumps(info))
dist.destroy_process_group()
