"""The SyncBatchNorm cases, shared by the MPI worker and the test that checks it.

Each case runs a few training steps on a global batch that the ranks split by ``ROWS`` (rank r
takes rows[r] samples; one process takes them all). ``run`` records what the test compares:
the outputs and input gradients of this rank's rows, the parameter gradients, the running
statistics and an eval-mode output. The test runs the same steps with an ordinary BatchNorm in
one process over the whole batch.
"""
import numpy as np

import minidl
import minidl.nn.functional as F
from minidl import nn, optim

STEPS = 2
# name: (layer, per-sample shape (C, *), rows per rank, keyword arguments)
CASES = {
    "bn2d": ("BatchNorm2d", (3, 2, 2), [4, 4], {}),
    "bn1d_unequal": ("BatchNorm1d", (5,), [3, 6], {"momentum": None}),
    "bn1d_seq_unequal": ("BatchNorm1d", (4, 3), [1, 5], {"momentum": 0.3}),
    "plain": ("BatchNorm1d", (3,), [2, 3], {"affine": False, "track_running_stats": False}),
}


def split(rows: list, size: int) -> list:
    """Rows per rank: the case's split on 2 ranks, everything on one."""
    return rows if size == len(rows) else [sum(rows)]


def global_data(step: int, per_sample: tuple, n: int):
    rng = np.random.default_rng(step)
    x = 3.0 + 2.0 * rng.standard_normal((n,) + per_sample)  # |mean| > std: a stable var matters
    return x, rng.standard_normal((n,) + per_sample)


def run(layer, per_sample: tuple, rows: list, rank: int) -> dict:
    """Train ``layer`` on this rank's rows for STEPS steps with loss sum(y * c)."""
    start, stop = sum(rows[:rank]), sum(rows[:rank + 1])
    out = {}
    for step in range(STEPS):
        x, c = global_data(step, per_sample, sum(rows))
        x = minidl.tensor(x[start:stop], requires_grad=True)
        y = layer(x)
        (y * minidl.tensor(c[start:stop])).sum().backward()
        out[f"y{step}"], out[f"gx{step}"] = y.detach().numpy(), x.grad.numpy()
    for name, p in layer.named_parameters():
        out[f"grad_{name}"] = p.grad.numpy()
    for name, b in layer.named_buffers():
        out[name] = b.numpy()
    if layer.running_mean is not None:  # (without, eval normalises each rank's own batch)
        layer.eval()
        with minidl.no_grad():
            x = minidl.tensor(global_data(0, per_sample, sum(rows))[0][start:stop])
            out["eval"] = layer(x).numpy()
    return out


def model(seed: int):
    """A small MLP with a BatchNorm1d, for the DistributedDataParallel case."""
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).double()


def train(net, step_fn, rows: list, rank: int) -> list:
    """SGD steps with a mean squared error over this rank's rows; the parameters after each."""
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    start, stop = sum(rows[:rank]), sum(rows[:rank + 1])
    history = []
    for step in range(3):
        rng = np.random.default_rng(100 + step)
        x, t = rng.standard_normal((sum(rows), 4)), rng.standard_normal((sum(rows), 2))
        optimizer.zero_grad()
        F.mse_loss(step_fn(minidl.tensor(x[start:stop])), minidl.tensor(t[start:stop])).backward()
        optimizer.step()
        history.append({name: v.detach().numpy().copy() for name, v in net.state_dict().items()})
    return history
