"""Lesson: hyperparameter search. Random, on the right scale, then coarse to fine.

We tune three settings of an MLP on a Fashion-MNIST subset, maximizing validation accuracy:

* lr in [1e-4, 1], sampled log-uniformly (``LogUniform``): each decade gets as many tries;
* the momentum beta in [0.5, 0.999] as 1 - 10**r (``OneMinusLogUniform``): what matters is
  1 / (1 - beta), the number of steps averaged over (2 to 1000), and near 1 it changes fast;
* the hidden size, one of a few options (``Choice``).

First a plain random search, then coarse to fine: each round narrows every range around the best
trials so far (in log coordinates for lr and 1 - beta) and samples again. A diverged run scores NaN
and sorts last. Validation data is held out of the training subset; the test set is not used.

    python examples/hparam_search.py [--quick] [--out DIR]

Read next: ``minidl/tune.py``.
"""
import os

import numpy as np
from _lesson_utils import accuracy, fashion_mnist, parse_args, print_table

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset
from minidl.tune import (
    Choice,
    LogUniform,
    OneMinusLogUniform,
    Uniform,
    coarse_to_fine,
    format_table,
    plot_trials,
    random_search,
)

args = parse_args(__doc__.splitlines()[0])
N_TRAIN, N_VAL, EPOCHS = (300, 200, 1) if args.quick else (3000, 1000, 2)
N_RANDOM, ROUNDS, PER_ROUND, TOP_K = (4, 2, 3, 2) if args.quick else (16, 3, 8, 4)

# Why the scale matters: where 1,000 samples of lr in [1e-4, 1] fall, decade by decade.
rng = np.random.default_rng(args.seed)
uniform = [Uniform(1e-4, 1).sample(rng) for _ in range(1000)]
log_uniform = [LogUniform(1e-4, 1).sample(rng) for _ in range(1000)]
edges = [1e-4, 1e-3, 1e-2, 1e-1, 1]
rows = [[f"[{lo:g}, {hi:g})", sum(lo <= v < hi for v in uniform),
         sum(lo <= v < hi for v in log_uniform)] for lo, hi in zip(edges, edges[1:])]
print("1,000 samples of lr: how many land in each decade")
print_table(["decade", "Uniform(1e-4, 1)", "LogUniform(1e-4, 1)"], rows)

x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)


def objective(params: dict) -> float:
    """Train with ``params`` and return the validation accuracy (NaN if the run diverged)."""
    minidl.manual_seed(args.seed)  # every trial starts from the same seed: only params differ
    model = nn.Sequential(nn.Linear(784, params["hidden"]), nn.ReLU(),
                          nn.Linear(params["hidden"], 10))
    optimizer = optim.SGD(model.parameters(), lr=params["lr"], momentum=params["beta"])
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    for _epoch in range(EPOCHS):
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if not np.isfinite(loss.item()):
                return float("nan")
            loss.backward()
            optimizer.step()
    with minidl.no_grad():
        return accuracy(model(x_val), y_val)


space = {"lr": LogUniform(1e-4, 1.0), "beta": OneMinusLogUniform(0.5, 0.999),
         "hidden": Choice([32, 64, 128, 256])}

print(f"Random search: {N_RANDOM} trials, MLP on {N_TRAIN} images, {EPOCHS} epochs, "
      f"score = validation accuracy on {N_VAL}")
trials = random_search(objective, space, N_RANDOM, seed=args.seed, maximize=True)
print(format_table(trials, limit=8), "\n")

print(f"Coarse to fine: {ROUNDS} rounds of {PER_ROUND} trials, narrowing around the top {TOP_K}")
result = coarse_to_fine(objective, space, rounds=ROUNDS, trials_per_round=PER_ROUND,
                        top_k=TOP_K, seed=args.seed, shrink=0.3, maximize=True)
for r, round_space in enumerate(result.spaces):
    print(f"round {r}: " + ", ".join(f"{k} ~ {v!r}" for k, v in round_space.items()))
print()
print(format_table(result.trials, limit=8))

path = os.path.join(args.out, "hparam_search.png")
if plot_trials(result.trials, path, space, score_label="validation accuracy"):
    print(f"wrote {path}")
