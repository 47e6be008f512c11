"""Lesson: batch, stochastic and mini-batch gradient descent, for the same number of examples seen.

Softmax regression (one Linear layer and cross-entropy: a convex problem, so every difference below
is about the optimizer, not the model) on a Fashion-MNIST subset. Every run sees the same number of
examples (EPOCHS passes over the subset) with the same lr; only the batch size changes:

* full batch (GD): one exact gradient per pass, so very few steps for the budget;
* batch 1 (SGD): one step per example, the most progress per example seen, but each step pays the
  full per-step overhead (Python, small matrix products), so it is slow in wall time;
* mini-batches (32, 128, 512) sit in between, and usually win in wall time.

Part 2 tests the linear scaling rule: when the batch grows k times, there are k times fewer steps,
so multiply the lr by k to keep the distance travelled per example (and divide it when the batch
shrinks: batch 1 gets lr / 32, which tames its noise). It works until the lr reaches the stability
limit of the problem, then training gets worse or diverges.

    python examples/gradient_descent_variants.py [--quick] [--out DIR]

Read next: ``examples/schedules.py``.
"""
import time

import numpy as np
from _lesson_utils import fashion_mnist, parse_args, print_table, pyplot, save_figure, save_results

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset

args = parse_args(__doc__.splitlines()[0])
N_TRAIN, EPOCHS = (512, 1) if args.quick else (2048, 3)
LR = 0.01
BATCH_SIZES = [N_TRAIN, 1, 32, 128, 512]
CHECKPOINTS = 12  # how many times per run the full training loss is measured
x_train, y_train, _, _ = fashion_mnist(N_TRAIN, 0, seed=args.seed)


def train(batch_size: int, lr: float):
    """Returns [(examples seen, training seconds so far, full training loss)] and the step count."""
    minidl.manual_seed(args.seed)
    model = nn.Linear(784, 10)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    budget = EPOCHS * N_TRAIN
    every = budget / CHECKPOINTS
    with minidl.no_grad():
        history = [(0, 0.0, F.cross_entropy(model(x_train), y_train).item())]
    seen, steps, seconds = 0, 0, 0.0
    for _epoch in range(EPOCHS):
        for x, y in loader:
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            seconds += time.perf_counter() - start
            seen += len(y)
            steps += 1
            if seen >= len(history) * every or seen == budget:  # not timed: a measurement
                with minidl.no_grad():
                    full_loss = F.cross_entropy(model(x_train), y_train).item()
                history.append((seen, seconds, full_loss))
    return history, steps


def name(batch_size: int) -> str:
    return f"full batch ({batch_size})" if batch_size == N_TRAIN else f"batch {batch_size}"


histories = {}
rows = []
for batch_size in BATCH_SIZES:
    history, steps = train(batch_size, LR)
    histories[batch_size] = history
    halfway = [loss for seen, _, loss in history if seen <= EPOCHS * N_TRAIN // 2][-1]
    rows.append([name(batch_size), steps, halfway, history[-1][2], f"{history[-1][1]:.2f}",
                 f"{1e3 * history[-1][1] / steps:.2f}"])
print(f"Part 1: softmax regression, {N_TRAIN} images, {EPOCHS} epochs "
      f"({EPOCHS * N_TRAIN} examples seen), SGD lr {LR}")
print_table(["batch", "steps", "loss at half budget", "final loss", "train seconds",
             "ms per step"], rows, key="variants")

rows = []
base = 32
for batch_size in [1, 32, 128, 512, N_TRAIN]:
    constant, _ = train(batch_size, LR)
    scaled_lr = LR * batch_size / base
    with np.errstate(all="ignore"):
        scaled, _ = train(batch_size, scaled_lr)
    rows.append([name(batch_size), constant[-1][2], f"{scaled_lr:.3g}", scaled[-1][2]])
print(f"Part 2: linear scaling rule, lr = {LR} x batch / {base}, same budget of examples")
print_table(["batch", f"final loss, lr {LR}", "scaled lr", "final loss, scaled lr"], rows,
            key="scaling")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for batch_size, history in histories.items():
        seen, seconds, losses = zip(*history)
        axes[0].plot(seen, losses, "o-", markersize=3, label=name(batch_size))
        axes[1].plot(seconds, losses, "o-", markersize=3, label=name(batch_size))
    axes[0].set_xlabel("examples seen")
    axes[1].set_xlabel("training seconds")
    axes[1].set_xscale("symlog", linthresh=0.01)
    for ax in axes:
        ax.set_ylabel("training loss (whole subset)")
    axes[0].legend()
    save_figure(fig, args.out, "gradient_descent_variants.png")
save_results()
