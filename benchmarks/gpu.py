"""GPU timings: minidl on CuPy vs minidl on NumPy vs PyTorch on CUDA (eager).

Workloads (float32; the models of ``training_step.py``): one training step (forward, softmax
cross-entropy, backward, SGD with momentum) of the MLP 784-512-256-10 and of the CNN, at batch
128 and 1024. Every timed call ends with a device synchronisation, so a time is the whole step,
not just the launching of its kernels. Runs are interleaved after a warm-up (the first CuPy calls
compile kernels); medians and ratios are printed and optionally saved as JSON.

On a machine without a GPU (CuPy missing, or no device) it says so and exits 0, so that
``make bench`` runs everywhere.

    python benchmarks/gpu.py [--repeats 10] [--batches 128 1024] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_step import interleaved, minidl_cnn, minidl_mlp, torch_models  # noqa: E402

import minidl  # noqa: E402
import minidl.nn.functional as F  # noqa: E402
import minidl.optim  # noqa: E402
from minidl.errors import DeviceError  # noqa: E402

MODELS = {"MLP": (minidl_mlp, (784,)), "CNN": (minidl_cnn, (1, 28, 28))}


def minidl_step(make_model, x, y, device):
    """One synchronised SGD-momentum training step of a fresh model on ``device``."""
    model = make_model().to(device)
    optimizer = minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = minidl.tensor(x, device=device), minidl.tensor(y, device=device)
    sync = cuda_synchronize if device != "cpu" else (lambda: None)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        optimizer.step()
        sync()
    return step


def torch_step(model, x, y):
    import torch
    model = model.cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        optimizer.step()
        torch.cuda.synchronize()
    return step


def cuda_synchronize():
    import cupy
    cupy.cuda.Device().synchronize()


def gpu_name() -> str:
    import cupy
    return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    try:
        minidl.backend.parse_device("cuda")
    except DeviceError as exc:
        print(f"skipped: no GPU ({exc})")
        return
    try:
        import torch
        has_torch_cuda = torch.cuda.is_available()
    except ImportError:
        has_torch_cuda = False
    if not has_torch_cuda:
        print("PyTorch with CUDA is not available: its column is skipped")

    rng = np.random.default_rng(0)
    minidl.manual_seed(0)
    results = {}
    for batch in args.batches:
        labels = rng.integers(0, 10, batch).astype(np.int64)
        for name, (make_model, shape) in MODELS.items():
            x = rng.standard_normal((batch, *shape)).astype(np.float32)
            candidates = {"minidl cuda": minidl_step(make_model, x, labels, "cuda"),
                          "minidl cpu": minidl_step(make_model, x, labels, "cpu")}
            if has_torch_cuda:
                torch_model = torch_models()[0 if name == "MLP" else 1]
                candidates["pytorch cuda"] = torch_step(torch_model, x, labels)
            results[f"{name} training step, batch {batch}"] = interleaved(candidates,
                                                                         args.repeats)

    print(f"median ms per step, interleaved, synchronised; GPU: {gpu_name()}")
    for workload, times in results.items():
        gpu, cpu = times["minidl cuda"], times["minidl cpu"]
        cells = [f"minidl cuda {gpu:8.2f}", f"minidl cpu {cpu:8.2f} (cpu/cuda {cpu / gpu:5.1f}x)"]
        if "pytorch cuda" in times:
            cells.append(f"pytorch cuda {times['pytorch cuda']:7.2f} "
                         f"(minidl cuda/pytorch cuda {gpu / times['pytorch cuda']:4.2f}x)")
        print(f"  {workload:30s} " + "  ".join(cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "gpu", "gpu": gpu_name(), "median_ms": results}, f, indent=2)


if __name__ == "__main__":
    main()
