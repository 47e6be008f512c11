"""Per-op overhead: a chain of 1,000 small ops on a shape-(4,) tensor, forward + backward.

Prints microseconds per op for minidl, a hand-written NumPy loop (forward and the matching
backward written by hand: the floor no framework can beat), and PyTorch eager when installed.
Runs are interleaved (A B C A B C ...) after a warm-up, and medians are reported, so that drift
on a shared machine affects every column alike; the forward and backward halves are reported too.

    python benchmarks/overhead.py [--ops 1000] [--repeats 15] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

import minidl

OPS_PER_ROUND = 4  # each round of the chain is mul, add, tanh, sub


# Each chain returns the moment its forward pass ended (time.perf_counter), so that the
# forward and backward halves can be reported apart.
def minidl_chain(x0: np.ndarray, rounds: int) -> float:
    x = minidl.tensor(x0, requires_grad=True)
    y = x
    for _ in range(rounds):
        y = y * 1.0001
        y = y + 0.5
        y = y.tanh()
        y = y - x
    forward_end = time.perf_counter()
    y.sum().backward()
    return forward_end


def numpy_chain(x0: np.ndarray, rounds: int) -> float:
    """The same computation with its backward written out by hand."""
    tanh_outputs = []
    y = x0
    for _ in range(rounds):
        y = np.tanh(y * 1.0001 + 0.5)
        tanh_outputs.append(y)
        y = y - x0
    forward_end = time.perf_counter()
    gy = np.ones_like(y)
    gx = np.zeros_like(x0)
    for t in reversed(tanh_outputs):
        gx -= gy  # from y = t - x
        gy = gy * (1 - t * t) * 1.0001
    gx += gy
    return forward_end


def torch_chain(x0: np.ndarray, rounds: int) -> float:
    import torch
    x = torch.tensor(x0, requires_grad=True)
    y = x
    for _ in range(rounds):
        y = y * 1.0001
        y = y + 0.5
        y = y.tanh()
        y = y - x
    forward_end = time.perf_counter()
    y.sum().backward()
    return forward_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    rounds = args.ops // OPS_PER_ROUND
    x0 = np.random.default_rng(0).standard_normal(4).astype(np.float32)

    candidates = {"minidl": minidl_chain, "numpy (hand-written backward)": numpy_chain}
    try:
        import torch
        torch.set_num_threads(1)  # tiny tensors: threads only add overhead
        candidates["pytorch eager"] = torch_chain
    except ImportError:
        print("PyTorch is not installed: its column is skipped "
              "(pip install torch==2.13.0 for the CPU build)")
    times = {name: [] for name in candidates}  # (total, forward) seconds of each run
    for fn in candidates.values():  # warm-up
        fn(x0, rounds)
    for _ in range(args.repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            forward_end = fn(x0, rounds)
            times[name].append((time.perf_counter() - start, forward_end - start))

    ops = rounds * OPS_PER_ROUND
    per_op, forward, backward = {}, {}, {}
    for name, runs in times.items():
        per_op[name] = statistics.median(total for total, _ in runs) / ops * 1e6
        forward[name] = statistics.median(fwd for _, fwd in runs) / ops * 1e6
        backward[name] = statistics.median(total - fwd for total, fwd in runs) / ops * 1e6
    print(f"per-op overhead, {ops} ops on shape (4,), forward + backward "
          f"(median of {args.repeats}, {platform.processor() or platform.machine()})")
    reference = per_op.get("pytorch eager")
    for name, us in per_op.items():
        ratio = f"  {us / reference:5.2f}x pytorch" if reference else ""
        print(f"  {name:32s} {us:7.2f} us/op{ratio}   (forward {forward[name]:5.2f}, "
              f"backward {backward[name]:5.2f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "overhead", "us_per_op": per_op,
                       "forward_us_per_op": forward, "backward_us_per_op": backward}, f,
                      indent=2)


if __name__ == "__main__":
    main()
