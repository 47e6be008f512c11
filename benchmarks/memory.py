"""Peak memory of CNN training: minidl vs PyTorch, each in a fresh process.

Runs N training steps (default 200) of the benchmark CNN (benchmarks/training_step.py) at batch
128 and reports the peak resident set size (ru_maxrss) after the first quarter of the steps and
at the end: a graph kept alive by mistake shows as growth between the two.

    python benchmarks/memory.py [--steps 200]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_minidl(steps: int) -> list:
    import numpy as np
    sys.path.insert(0, HERE)
    from training_step import minidl_cnn, minidl_trainer
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 128).astype(np.int64)
    step = minidl_trainer(minidl_cnn(), x, y)
    return _measure(step, steps)


def run_torch(steps: int) -> list:
    import numpy as np
    sys.path.insert(0, HERE)
    from training_step import torch_models, torch_trainer
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 128).astype(np.int64)
    step = torch_trainer(torch_models()[1], x, y)
    return _measure(step, steps)


def _measure(step, steps: int) -> list:
    marks = []
    for i in range(1, steps + 1):
        step()
        if i in (steps // 4, steps):
            marks.append(peak_rss_mib())
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--child", choices=["minidl", "pytorch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = run_minidl if args.child == "minidl" else run_torch
        print(json.dumps(runner(args.steps)))
        return
    print(f"peak RSS (MiB) of {args.steps} CNN training steps, batch 128, each in a new process")
    for name in ("minidl", "pytorch"):
        if name == "pytorch":
            try:
                import torch  # noqa: F401  (only whether it is installed)
            except ImportError:
                print("  pytorch: not installed (pip install torch==2.13.0)")
                continue
        result = subprocess.run([sys.executable, __file__, "--child", name, "--steps",
                                 str(args.steps)], capture_output=True, text=True, check=True)
        quarter, end = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"  {name:8s} after {args.steps // 4:4d} steps {quarter:7.0f}   "
              f"after {args.steps} steps {end:7.0f}   growth {end - quarter:+5.0f}")


if __name__ == "__main__":
    main()
