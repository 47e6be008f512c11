"""Run under mpiexec by test_collectives.py: every collective, on every dtype, and the errors.

Each rank saves what its tensors held afterwards to OUT/rank<r>.npz (arrays) and
OUT/rank<r>.json (objects, error classes); the test compares them with NumPy.

    mpiexec -n 2 python tests/distributed/collectives_worker.py OUT [TIMEOUT_SECONDS]
"""
import json
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: fake_device
sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_device  # noqa: E402
from cases import DTYPES, OPS, SHAPE, applies, rank_input  # noqa: E402

import minidl  # noqa: E402
import minidl.distributed as dist  # noqa: E402

out = Path(sys.argv[1])
timeout = timedelta(seconds=float(sys.argv[2])) if len(sys.argv) > 2 else None
dist.init_process_group(backend="mpi", timeout=timeout)
rank, size = dist.get_rank(), dist.get_world_size()
arrays, info = {}, {"rank": rank, "size": size, "backend": dist.get_backend()}

# all_reduce: every op on every dtype (AVG on integers must be refused: see errors below).
for dtype in DTYPES:
    for op in OPS:
        if applies(op, dtype):
            t = minidl.tensor(rank_input(rank, dtype))
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            arrays[f"all_reduce/{op}/{dtype}"] = t.numpy()

# The same through async_op, through a non-contiguous view, on a 0-d tensor.
t = minidl.tensor(rank_input(rank, "float32"))
work = dist.all_reduce(t, async_op=True)
arrays["async/all_reduce"] = (work.wait(), t.numpy())[1]
base = minidl.tensor(rank_input(rank, "float64").T.copy())  # (4, 3)
view = base.T  # (3, 4), not contiguous
dist.all_reduce(view, op=dist.ReduceOp.MAX)
arrays["view/all_reduce/MAX"] = view.numpy()
scalar = minidl.tensor(float(rank + 1))
dist.all_reduce(scalar, op=dist.ReduceOp.PRODUCT)
arrays["scalar/all_reduce/PRODUCT"] = scalar.numpy()

# broadcast, reduce and all_gather, on every dtype; the root is the last rank.
last = size - 1
for dtype in DTYPES:
    t = minidl.tensor(rank_input(rank, dtype))
    dist.broadcast(t, src=last)
    arrays[f"broadcast/{dtype}"] = t.numpy()
    t = minidl.tensor(rank_input(rank, dtype))
    dist.reduce(t, dst=last, op=dist.ReduceOp.SUM)
    arrays[f"reduce/SUM/{dtype}"] = t.numpy()
    gathered = [minidl.zeros(*SHAPE, dtype=np.dtype(dtype)) for _ in range(size)]
    dist.all_gather(gathered, minidl.tensor(rank_input(rank, dtype)))
    arrays[f"all_gather/{dtype}"] = np.stack([g.numpy() for g in gathered])
t = minidl.tensor(rank_input(rank, "float32"))
dist.reduce(t, dst=0, op=dist.ReduceOp.AVG, async_op=True).wait()
arrays["async/reduce/AVG/dst0"] = t.numpy()

# A device that is not the CPU's: staged through the host, and the result stays on it.
fake = fake_device.register()
t = minidl.tensor(rank_input(rank, "float32")).to(fake)
dist.all_reduce(t, op=dist.ReduceOp.SUM)
info["fake_device_kept"] = t.device == fake and type(t._array) is fake_device.FakeArray
arrays["fake/all_reduce/SUM"] = t.cpu().numpy()
fake_device.unregister()

# Objects, through JSON.
objects = [None] * size
dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}", "pair": (rank, 1)})
info["all_gather_object"] = objects
sent = [{"from": rank}, [rank, "x"], None]
dist.broadcast_object_list(sent, src=last)
info["broadcast_object_list"] = sent

# Errors: raised on every rank before any message is sent, so the job goes on.
errors = {}


def expect_error(name, call):
    try:
        call()
    except minidl.MinidlError as exc:
        errors[name] = [type(exc).__name__, str(exc)]
    else:
        errors[name] = None


expect_error("avg_on_int", lambda: dist.all_reduce(minidl.tensor([1, 2]), dist.ReduceOp.AVG))
expect_error("bad_src", lambda: dist.broadcast(minidl.ones(2), src=size))
expect_error("bad_dst", lambda: dist.reduce(minidl.ones(2), dst=-1))
expect_error("gather_count", lambda: dist.all_gather([minidl.ones(2)], minidl.ones(2)))
expect_error("gather_shape", lambda: dist.all_gather([minidl.ones(3)] * size, minidl.ones(2)))
expect_error("requires_grad", lambda: dist.all_reduce(minidl.ones(2, requires_grad=True)))
expect_error("not_json", lambda: dist.all_gather_object([None] * size, object()))
expect_error("second_init", lambda: dist.init_process_group("mpi"))
dist.barrier()
info["errors"] = errors

np.savez(out / f"rank{rank}.npz", **arrays)
(out / f"rank{rank}.json").write_text(json.dumps(info))
dist.destroy_process_group()
if dist.is_initialized():
    raise SystemExit("still initialized after destroy_process_group")
