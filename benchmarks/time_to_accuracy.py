"""Time to accuracy: wall time for minidl and PyTorch to train the same CNN to 90% on Fashion-MNIST.

The model, optimizer and schedule are those of ``examples/train_mnist.py`` with its defaults:
the CNN (conv 1->16 3x3 - BatchNorm - ReLU - maxpool 2, conv 16->32 - BatchNorm - ReLU -
maxpool 2, linear 1568->128 - ReLU - dropout 0.25 - linear 10), Adam with lr 2e-3, a cosine
decay of the lr over ``--max-epochs`` (stepped once per epoch), batch 128. It trains on all
60,000 training images (the example holds 5,000 out for validation; here the test set is the
only yardstick) and measures test accuracy every ``--eval-every`` steps.

To make the two runs comparable step by step:
  * PyTorch's model starts from a copy of minidl's initial weights;
  * both see the same batches in the same order (one NumPy permutation per epoch);
  * their steps are interleaved (a minidl step, then a PyTorch step, on the same batch), each
    timed on its own, so a busy machine slows both alike. Only training steps are timed:
    evaluation and batch slicing are not counted.
Dropout masks differ (each framework draws its own), so the accuracy curves are close, not equal.

    python benchmarks/time_to_accuracy.py [--threads 1] [--max-epochs 6] [--eval-every 50]
    python benchmarks/time_to_accuracy.py --quick      # a smoke run on a subset (under a minute)

Read next: benchmarks/training_step.py (the time of one step, without data or schedule).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import minidl
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data.datasets import FashionMNIST


class MinidlCNN(nn.Module):
    """The default CNN of examples/train_mnist.py (width 16), built the same way."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), nn.BatchNorm2d(2 * width),
            nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.head(self.features(x))


def torch_cnn(width: int = 16):
    """The same CNN in PyTorch, with the same attribute names, so the state_dict keys match."""
    import torch.nn as tnn

    class TorchCNN(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(1, width, 3, padding=1, bias=False), tnn.BatchNorm2d(width),
                tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(width, 2 * width, 3, padding=1, bias=False),
                tnn.BatchNorm2d(2 * width), tnn.ReLU(), tnn.MaxPool2d(2),
            )
            self.head = tnn.Sequential(
                tnn.Flatten(), tnn.Linear(2 * width * 7 * 7, 128), tnn.ReLU(),
                tnn.Dropout(0.25), tnn.Linear(128, 10),
            )

        def forward(self, x):
            return self.head(self.features(x))
    return TorchCNN()


def copy_weights(source: MinidlCNN, target) -> None:
    """Load minidl's parameters and buffers into the PyTorch model (every key must match)."""
    import torch
    state = {key: torch.from_numpy(np.array(value.numpy(), copy=True))
             for key, value in source.state_dict().items()}
    missing, unexpected = target.load_state_dict(state, strict=False)
    # PyTorch's BatchNorm also counts batches (num_batches_tracked); nothing else may differ.
    if unexpected or any(not key.endswith("num_batches_tracked") for key in missing):
        raise RuntimeError(f"state_dict mismatch: missing {missing}, unexpected {unexpected}")


class MinidlRun:
    """minidl's model, optimizer and schedule; ``step`` trains on one batch."""

    def __init__(self, model: MinidlCNN, lr: float, epochs: int):
        self.model = model
        self.optimizer = optim.Adam(model.parameters(), lr=lr)
        self.scheduler = optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=epochs)

    def step(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.model.train()
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(minidl.tensor(images)), minidl.tensor(labels))
        loss.backward()
        self.optimizer.step()

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        self.model.eval()
        correct = 0
        with minidl.no_grad():
            for start in range(0, len(labels), 1000):
                logits = self.model(minidl.tensor(images[start:start + 1000]))
                correct += int((logits.argmax(1).numpy() == labels[start:start + 1000]).sum())
        return correct / len(labels)


class TorchRun:
    """The same for PyTorch."""

    def __init__(self, model, lr: float, epochs: int):
        import torch
        self.torch = torch
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=epochs)

    def step(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.model.train()
        self.optimizer.zero_grad()
        logits = self.model(self.torch.from_numpy(images))
        loss = self.torch.nn.functional.cross_entropy(logits, self.torch.from_numpy(labels))
        loss.backward()
        self.optimizer.step()

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        self.model.eval()
        correct = 0
        with self.torch.no_grad():
            for start in range(0, len(labels), 1000):
                logits = self.model(self.torch.from_numpy(images[start:start + 1000]))
                correct += int((logits.argmax(1).numpy() == labels[start:start + 1000]).sum())
        return correct / len(labels)


def load_split(train: bool, limit: int | None):
    """Images as float32 in [0, 1], shape (N, 1, 28, 28), and int64 labels."""
    dataset = FashionMNIST(train=train)
    images = dataset.data[:limit, None].astype(np.float32) / 255
    return np.ascontiguousarray(images), dataset.targets[:limit].astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / PyTorch threads (default: leave both as they are)")
    parser.add_argument("--max-epochs", type=int, default=6,
                        help="the cap, and the length of the cosine schedule")
    parser.add_argument("--eval-every", type=int, default=50, help="steps between evaluations")
    parser.add_argument("--target", type=float, default=0.90, help="test accuracy to reach")
    parser.add_argument("--full", action="store_true",
                        help="train all --max-epochs instead of stopping once both reach --target")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 6,000 training and 2,000 test images, 2 epochs, "
                             "target 0.75, evaluation every 10 steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train_limit = test_limit = None
    if args.quick:
        train_limit, test_limit = 6000, 2000
        args.max_epochs, args.target, args.eval_every = 2, 0.75, 10

    import torch
    if args.threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)  # NumPy's BLAS (and any OpenMP pool) in this process
        torch.set_num_threads(args.threads)
    from training_step import blas_description  # the same BLAS line as the other benchmark

    x_train, y_train = load_split(True, train_limit)
    x_test, y_test = load_split(False, test_limit)
    minidl.manual_seed(args.seed)
    torch.manual_seed(args.seed)
    minidl_model, torch_model = MinidlCNN(), torch_cnn()
    copy_weights(minidl_model, torch_model)
    runs = {"minidl": MinidlRun(minidl_model, 2e-3, args.max_epochs),
            "pytorch": TorchRun(torch_model, 2e-3, args.max_epochs)}
    print(f"Fashion-MNIST: {len(y_train)} training, {len(y_test)} test images | CNN width 16 | "
          f"Adam lr 2e-3, cosine over {args.max_epochs} epochs, batch 128 | "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads | "
          f"BLAS: {blas_description()}")

    train_time = {name: 0.0 for name in runs}
    reached = {}  # name -> (step, epoch, seconds of training) when first >= target
    rng = np.random.default_rng(args.seed)
    step = 0
    print(f"{'step':>6} {'epoch':>6} | " + " | ".join(f"{n:>7} acc  train s" for n in runs))
    for epoch in range(args.max_epochs):
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            images, labels = x_train[batch], y_train[batch]
            for name, run in runs.items():
                begin = time.perf_counter()
                run.step(images, labels)
                train_time[name] += time.perf_counter() - begin
            step += 1
            end_of_epoch = start + 128 >= len(order)
            if step % args.eval_every and not end_of_epoch:
                continue
            cells = []
            for name, run in runs.items():
                accuracy = run.accuracy(x_test, y_test)
                if accuracy >= args.target and name not in reached:
                    reached[name] = (step, epoch + step_fraction(start, len(order)),
                                     train_time[name])
                cells.append(f"{100 * accuracy:10.2f}% {train_time[name]:8.1f}")
            print(f"{step:6d} {epoch + step_fraction(start, len(order)):6.2f} | "
                  + " | ".join(cells), flush=True)
            if len(reached) == len(runs) and not args.full:
                break
        for run in runs.values():
            run.scheduler.step()  # once per epoch, as in examples/train_mnist.py
        if len(reached) == len(runs) and not args.full:
            break

    print(f"\ntime to {100 * args.target:.0f}% test accuracy (training steps only, "
          f"evaluated every {args.eval_every} steps):")
    for name in runs:
        if name in reached:
            at_step, at_epoch, seconds = reached[name]
            print(f"  {name:8s} {seconds:7.1f} s  (step {at_step}, epoch {at_epoch:.2f}; "
                  f"{1e3 * seconds / at_step:.1f} ms/step)")
        else:
            print(f"  {name:8s} not reached in {args.max_epochs} epochs "
                  f"({train_time[name]:.1f} s of training)")
    if len(reached) == len(runs):
        ratio = reached["minidl"][2] / reached["pytorch"][2]
        print(f"  ratio minidl / pytorch: {ratio:.2f}x")


def step_fraction(start: int, n: int) -> float:
    """How far into its epoch the batch starting at ``start`` ends (1.0 for the last batch)."""
    return min(start + 128, n) / n


if __name__ == "__main__":
    main()
