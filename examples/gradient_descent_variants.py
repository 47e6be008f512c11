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

Each run is repeated with several seeds (the data subset, the initial weights and the batch
order); the tables show mean ± spread, and a difference is stated only when it is larger than
the two spreads added.

    python examples/gradient_descent_variants.py [--quick] [--out DIR] [--seeds N]

Read next: ``examples/schedules.py``.
"""
import time

import numpy as np
from _lesson_utils import (
    compare,
    fashion_mnist,
    keep,
    parse_args,
    print_table,
    pyplot,
    save_figure,
    save_results,
    show_spread,
)

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, EPOCHS = (512, 1) if args.quick else (2048, 3)
LR = 0.01
BATCH_SIZES = list(dict.fromkeys([N_TRAIN, 1, 32, 128, 512]))  # --quick: N_TRAIN is 512
CHECKPOINTS = 12  # how many times per run the full training loss is measured
REFERENCE = 32  # the mini-batch the others are compared with, and the scaling rule's base


def train(data, seed: int, batch_size: int, lr: float):
    """Returns [(examples seen, training seconds so far, full training loss)] and the step count."""
    x_train, y_train = data
    minidl.manual_seed(seed)  # the same initial weights and batch order for every batch size
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


def scaled(batch_size: int) -> float:
    return LR * batch_size / REFERENCE


# runs[batch size, lr]: one (history, steps) per seed
runs = {(b, lr): [] for b in BATCH_SIZES for lr in sorted({LR, scaled(b)})}
for seed in args.seed_list:
    data = fashion_mnist(N_TRAIN, 0, seed=seed)[:2]
    for batch_size, lr in runs:
        with np.errstate(all="ignore"):  # the largest scaled lr may overflow
            runs[batch_size, lr].append(train(data, seed, batch_size, lr))
final = {key: [history[-1][2] for history, _ in seed_runs] for key, seed_runs in runs.items()}
keep("final_loss", {f"{name(b)}, lr {lr:g}": losses for (b, lr), losses in final.items()})

rows = []
for batch_size in BATCH_SIZES:
    seed_runs = runs[batch_size, LR]
    halfway = [[loss for seen, _, loss in history if seen <= EPOCHS * N_TRAIN // 2][-1]
               for history, _ in seed_runs]
    steps = seed_runs[0][1]
    seconds = np.mean([history[-1][1] for history, _ in seed_runs])
    rows.append([name(batch_size), steps, show_spread(halfway), show_spread(final[batch_size, LR]),
                 f"{seconds:.2f}", f"{1e3 * seconds / steps:.2f}"])
print_table(["batch", "steps", "loss at half budget", "final loss", "train seconds",
             "ms per step"], rows, key="variants",
            title=f"Part 1: softmax regression, {N_TRAIN} images, {EPOCHS} epochs "
                  f"({EPOCHS * N_TRAIN} examples seen), SGD lr {LR}; mean ± spread over seeds "
                  f"{args.seed_list} (seconds: the mean)")
for batch_size in BATCH_SIZES:
    if batch_size != REFERENCE:
        compare(final[batch_size, LR], final[REFERENCE, LR],
                "{name} ends with a {which} training loss than batch {ref} ({a} vs {b}).",
                "{name} and batch {ref} end within the spread ({a} vs {b}).",
                which=("higher", "lower"), name=name(batch_size), ref=REFERENCE)

rows = []
for batch_size in sorted(BATCH_SIZES):
    rows.append([name(batch_size), show_spread(final[batch_size, LR]),
                 f"{scaled(batch_size):.3g}", show_spread(final[batch_size, scaled(batch_size)])])
print_table(["batch", f"final loss, lr {LR}", "scaled lr", "final loss, scaled lr"], rows,
            key="scaling", title=f"Part 2: linear scaling rule, lr = {LR} x batch / {REFERENCE}, "
                                 f"same budget of examples")
for batch_size in sorted(BATCH_SIZES):
    if batch_size != REFERENCE:
        compare(final[batch_size, scaled(batch_size)], final[batch_size, LR],
                "{name}: the scaled lr {lr:.3g} ends with a {which} training loss than lr "
                "{base} ({a} vs {b}).",
                "{name}: the scaled lr {lr:.3g} and lr {base} end within the spread ({a} vs {b}).",
                which=("higher", "lower"), name=name(batch_size), lr=scaled(batch_size), base=LR)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for batch_size in BATCH_SIZES:
        seen, seconds, losses = zip(*runs[batch_size, LR][0][0])  # the first seed's curves
        axes[0].plot(seen, losses, "o-", markersize=3, label=name(batch_size))
        axes[1].plot(seconds, losses, "o-", markersize=3, label=name(batch_size))
    axes[0].set_xlabel(f"examples seen (seed {args.seed_list[0]})")
    axes[1].set_xlabel("training seconds")
    axes[1].set_xscale("symlog", linthresh=0.01)
    for ax in axes:
        ax.set_ylabel("training loss (whole subset)")
    axes[0].legend()
    save_figure(fig, args.out, "gradient_descent_variants.png")
save_results()
