"""Training-step and inference timings: minidl vs hand-written NumPy (the floor) vs PyTorch.

Workloads (float32, batch 128 unless stated):
  * MLP 784-512-256-10, ReLU, softmax cross-entropy, SGD with momentum: one training step;
  * CNN conv(1->32,3x3,p1)-ReLU-maxpool2-conv(32->64,3x3,p1)-ReLU-maxpool2-fc(3136->128)-ReLU-
    fc(10): one training step, a forward pass (recording the graph), and inference (no_grad,
    eval) at batch 1024;
  * a 1024x1024 float32 matrix product (what every framework's BLAS gives).
Runs are interleaved (A B C A B C ...) after a warm-up; medians and ratios against PyTorch
(when installed) are printed, with the BLAS library and thread count, and optionally saved as
JSON so results can be compared over time. When DeZero is installed (pip install dezero==0.0.13;
benchmarks/dezero_models.py), a DeZero column is added to the two training steps.

    python benchmarks/training_step.py [--repeats 10] [--only mlp|cnn] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_floor import NumpyCNN, NumpyMLP  # noqa: E402

import minidl  # noqa: E402
import minidl.nn as nn  # noqa: E402
import minidl.nn.functional as F  # noqa: E402
import minidl.optim  # noqa: E402


def minidl_mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def minidl_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def torch_models():
    import torch.nn as tnn
    mlp = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 256), tnn.ReLU(),
                         tnn.Linear(256, 10))
    cnn = tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Linear(128, 10))
    return mlp, cnn


def minidl_trainer(model, x, y):
    optimizer = minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = minidl.tensor(x), minidl.tensor(y)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        optimizer.step()
    return step


def torch_trainer(model, x, y):
    import torch
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        optimizer.step()
    return step


def minidl_inference(model, x):
    xt = minidl.tensor(x)
    model.eval()

    def run():
        with minidl.no_grad():
            model(xt)
    return run


def torch_inference(model, x):
    import torch
    xt = torch.from_numpy(x)
    model.eval()

    def run():
        with torch.no_grad():
            model(xt)
    return run


def interleaved(candidates: dict, repeats: int) -> dict:
    for fn in candidates.values():  # warm-up: first calls allocate and fill caches
        fn()
        fn()
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
        info = [f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}"
                for i in threadpool_info()]
        return ", ".join(info)
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to see the BLAS)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--only", choices=["mlp", "cnn"])
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    minidl.manual_seed(0)
    try:
        import torch
        torch.manual_seed(0)
        torch_mlp, torch_cnn = torch_models()
    except ImportError:
        torch = None
        print("PyTorch is not installed: its column is skipped "
              "(pip install torch==2.13.0 for the CPU build)")

    try:
        import dezero_models
        dezero_models.import_dezero()
    except ImportError:
        dezero_models = None
    dezero_notes = []

    results = {}
    labels = rng.integers(0, 10, 128).astype(np.int64)
    if args.only in (None, "mlp"):
        x = rng.standard_normal((128, 784)).astype(np.float32)
        floor = NumpyMLP(rng)
        candidates = {"minidl": minidl_trainer(minidl_mlp(), x, labels),
                      "numpy floor": lambda: floor.step(x, labels)}
        if torch:
            candidates["pytorch"] = torch_trainer(torch_mlp, x, labels)
        if dezero_models:
            dezero_mlp = dezero_models.dezero_mlp()
            dezero_notes.append("MLP: " + dezero_models.gradient_dtypes(dezero_mlp, x, labels))
            candidates["dezero"] = dezero_models.dezero_trainer(dezero_mlp, x, labels)
        results["MLP training step"] = interleaved(candidates, args.repeats)
    if args.only in (None, "cnn"):
        x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
        big = rng.standard_normal((1024, 1, 28, 28)).astype(np.float32)
        floor = NumpyCNN(rng)
        model = minidl_cnn()
        candidates = {"minidl": minidl_trainer(model, x, labels),
                      "numpy floor": lambda: floor.step(x, labels)}
        if torch:
            candidates["pytorch"] = torch_trainer(torch_cnn, x, labels)
        if dezero_models:
            dezero_cnn = dezero_models.dezero_cnn()
            dezero_notes.append("CNN: " + dezero_models.gradient_dtypes(dezero_cnn, x, labels))
            candidates["dezero"] = dezero_models.dezero_trainer(dezero_cnn, x, labels)
        results["CNN training step"] = interleaved(candidates, args.repeats)
        # The forward half of a training step: the graph is recorded (and dropped).
        candidates = {"minidl": lambda: model(minidl.tensor(x)),
                      "numpy floor": lambda: floor.forward(x)}
        if torch:
            candidates["pytorch"] = lambda: torch_cnn(torch.from_numpy(x))
        if dezero_models:
            candidates["dezero"] = lambda: dezero_cnn(x)
        results["CNN forward, batch 128"] = interleaved(candidates, args.repeats)
        candidates = {"minidl": minidl_inference(model, big),
                      "numpy floor": lambda: floor.forward(big)}
        if torch:
            candidates["pytorch"] = torch_inference(torch_cnn, big)
        results["CNN inference, batch 1024"] = interleaved(candidates, max(3, args.repeats // 2))

    if args.only is None:  # the BLAS itself: every framework's GEMMs run on one like it
        a = rng.standard_normal((1024, 1024)).astype(np.float32)
        ta = minidl.tensor(a)
        candidates = {"minidl": lambda: ta @ ta, "numpy floor": lambda: a @ a}
        if torch:
            tt = torch.from_numpy(a)
            candidates["pytorch"] = lambda: tt @ tt
        results["GEMM 1024x1024 float32"] = interleaved(candidates, args.repeats)

    print(f"median ms, interleaved runs; BLAS: {blas_description()}")
    for workload, times in results.items():
        reference = times.get("pytorch")
        cells = "  ".join(f"{name} {ms:8.2f}" + (f" ({ms / reference:4.2f}x)" if reference else "")
                          for name, ms in times.items())
        print(f"  {workload:28s} {cells}")
    if dezero_notes:
        print("  dezero: float32 parameters and forward; weight-gradient dtypes: "
              + "; ".join(dezero_notes) + " (NumPy 2 promotes its int64 one-hot labels)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "training_step", "median_ms": results}, f, indent=2)


if __name__ == "__main__":
    main()
