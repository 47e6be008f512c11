"""The training runs of the DDP equivalence test, shared by the MPI worker and the test.

Each variant trains a small BatchNorm-free network for STEPS steps. Under DDP, rank r of N
takes rows [r*B, (r+1)*B) of each global batch of N*B rows; the reference is one process
taking the whole global batch. Both minimize the batch mean of the cross-entropy, so their
parameters must agree after every step up to the order of float32 additions.
"""
import contextlib

import numpy as np

import minidl
import minidl.nn.functional as F
from minidl import nn, optim

STEPS = 5
RANK_BATCH = 6
FEATURES, CLASSES = 8, 4
TINY_BUCKETS_MB = 0.001  # ~1 KB: several buckets, so some are sent from the hooks

# variant -> (optimizer, bucket_cap_mb, micro-batches per step, fc2 uses (step 0, later), unused)
VARIANTS = {
    "sgd_momentum": ("sgd", None, 1, (1, 1), False),
    "adam_buckets": ("adam", TINY_BUCKETS_MB, 1, (1, 1), False),
    "sgd_no_sync": ("sgd", TINY_BUCKETS_MB, 2, (1, 1), False),
    "shared_and_unused": ("sgd", TINY_BUCKETS_MB, 1, (2, 2), True),
    "graph_changes": ("adam", TINY_BUCKETS_MB, 1, (1, 2), False),
    "pieces": ("sgd", None, 1, (1, 1), False),  # the one bucket all-reduced in 40-byte pieces
}


class Net(nn.Module):
    """fc1 -> tanh -> (fc2 -> tanh) x uses -> out; ``unused`` takes part in nothing."""

    def __init__(self, unused: bool):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 16)
        self.fc2 = nn.Linear(16, 16)
        self.out = nn.Linear(16, CLASSES)
        self.unused = nn.Linear(3, 3) if unused else None
        self.uses = 1

    def forward(self, x):
        h = self.fc1(x).tanh()
        for _ in range(self.uses):
            h = self.fc2(h).tanh()
        return self.out(h)


def global_batch(step: int, world_size: int):
    rng = np.random.default_rng(100 + step)
    n = world_size * RANK_BATCH
    return (rng.standard_normal((n, FEATURES)).astype(np.float32),
            rng.integers(0, CLASSES, n).astype(np.int64))


def build(variant: str, seed: int = 0):
    kind, _, _, _, unused = VARIANTS[variant]
    minidl.manual_seed(seed)
    model = Net(unused)
    return model, kind


def make_optimizer(kind: str, params):
    if kind == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    return optim.Adam(params, lr=0.01)


def train_step(model, forward, optimizer, variant: str, step: int, x, y, sync=None):
    """One optimizer step on rows ``x, y`` (a rank's share, or the whole global batch), in
    ``micro`` pieces whose gradients accumulate; ``sync(i)`` gives the context for piece i."""
    _, _, micro, uses, _ = VARIANTS[variant]
    model.uses = uses[0] if step == 0 else uses[1]
    optimizer.zero_grad()
    pieces = np.array_split(np.arange(len(y)), micro)
    for i, rows in enumerate(pieces):
        with sync(i, micro) if sync is not None else contextlib.nullcontext():
            loss = F.cross_entropy(forward(minidl.tensor(x[rows])), minidl.tensor(y[rows]))
            (loss * (len(rows) / len(y))).backward()
    optimizer.step()


def reference_run(variant: str, world_size: int) -> list:
    """One process, global batches: the parameters (name -> array) after each step."""
    model, kind = build(variant)
    optimizer = make_optimizer(kind, model.parameters())
    history = []
    for step in range(STEPS):
        x, y = global_batch(step, world_size)
        train_step(model, model, optimizer, variant, step, x, y)
        history.append({name: p.detach().numpy().copy() for name, p in model.named_parameters()})
    return history
