"""Small helpers shared by the lesson scripts in ``examples/`` (not part of the library).

Each lesson is a flat script; what they all need is here so that they can stay short: the common
command line (``--quick``, ``--out``, ``--seed``), an optional matplotlib, a plain-text table, and a
Fashion-MNIST subset as tensors ready for an MLP.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Sequence

import numpy as np

# Let the scripts run from a checkout without installing minidl.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minidl  # noqa: E402
from minidl.data.datasets import FashionMNIST  # noqa: E402


def parse_args(description: str, default_out: str = os.path.join("runs", "lessons")
               ) -> argparse.Namespace:
    """The command line every lesson takes; creates the ``--out`` folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny version that runs in a few seconds (used by the tests)")
    parser.add_argument("--out", default=default_out,
                        help=f"folder for the figures (default: {default_out})")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    return args


def pyplot():
    """matplotlib.pyplot with a file-only backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no figure)")
        return None
    return plt


def save_figure(fig, out: str, name: str) -> None:
    path = os.path.join(out, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    fig.clf()
    print(f"wrote {path}")


def print_table(header: Sequence[str], rows: List[Sequence]) -> None:
    """Print rows as aligned columns; floats with 4 significant digits."""
    def cell(v):
        return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[j]) for r in cells + [list(header)]) for j in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()


def fashion_mnist(n_train: int, n_val: int, seed: int = 0, flat: bool = True):
    """(x_train, y_train, x_val, y_val): random subsets of the Fashion-MNIST training set as
    float32 tensors, standardized with the training subset's mean and std, and int64 labels.

    Validation comes from the training set (the test set stays untouched for final reports)."""
    data = FashionMNIST(train=True, download=True).as_tensor_dataset()
    images, labels = data.tensors[0].numpy(), data.tensors[1].numpy()
    order = np.random.default_rng(seed).permutation(len(labels))
    train, val = order[:n_train], order[n_train:n_train + n_val]
    x = images.reshape(len(labels), -1) if flat else images
    mean, std = x[train].mean(), x[train].std()
    standardize = lambda a: minidl.tensor(((a - mean) / std).astype(np.float32))  # noqa: E731
    return (standardize(x[train]), minidl.tensor(labels[train]),
            standardize(x[val]), minidl.tensor(labels[val]))


def accuracy(logits: minidl.Tensor, labels: minidl.Tensor) -> float:
    return float((logits.argmax(1) == labels).numpy().mean())
