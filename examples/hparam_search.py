"""Lesson: hyperparameter search. Random, on the right scale, then coarse to fine.

We tune three settings of an MLP on a Fashion-MNIST subset, maximizing validation accuracy:

* lr in [1e-4, 1], sampled log-uniformly (``LogUniform``): each decade gets as many tries;
* the momentum beta in [0.5, 0.999] as 1 - 10**r (``OneMinusLogUniform``): what matters is
  1 / (1 - beta), the number of steps averaged over (2 to 1000), and near 1 it changes fast;
* the hidden size, one of a few options (``Choice``).

Two searches get the same budget of trials: a plain random search, and coarse to fine (rounds
of random search, each narrowing every range around the best trials so far, in log coordinates
for lr and 1 - beta). A diverged run scores NaN and sorts last. Which one wins depends on the
search's own randomness, so both run with several seeds and the table shows mean ± spread; a
winner is named only when the difference is larger than the two spreads added.

The best of many trials is an optimistic estimate: some of its score is luck on that validation
set. So each search's chosen setting is trained again and scored on a second held-out set, which
no search has seen. Both sets come out of the training set; the test set is not used.

    python examples/hparam_search.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/tune.py``.
"""
import os

import numpy as np
from _lesson_utils import (
    accuracy,
    compare,
    fashion_mnist,
    keep,
    parse_args,
    print_table,
    save_results,
    show_spread,
)

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
    plot_trials,
    random_search,
)

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, N_VAL, EPOCHS = (300, 200, 1) if args.quick else (3000, 1000, 2)
ROUNDS, PER_ROUND, TOP_K = (2, 3, 2) if args.quick else (3, 8, 4)
BUDGET = ROUNDS * PER_ROUND  # trials per search, the same for both

# Why the scale matters: where 1,000 samples of lr in [1e-4, 1] fall, decade by decade.
rng = np.random.default_rng(args.seed)
uniform = [Uniform(1e-4, 1).sample(rng) for _ in range(1000)]
log_uniform = [LogUniform(1e-4, 1).sample(rng) for _ in range(1000)]
edges = [1e-4, 1e-3, 1e-2, 1e-1, 1]
rows = [[f"[{lo:g}, {hi:g})", sum(lo <= v < hi for v in uniform),
         sum(lo <= v < hi for v in log_uniform)] for lo, hi in zip(edges, edges[1:])]
print_table(["decade", "Uniform(1e-4, 1)", "LogUniform(1e-4, 1)"], rows, key="scales",
            title="1,000 samples of lr: how many land in each decade")

# Training and validation sets, and a second held-out set to re-score each search's choice.
x_train, y_train, x_all, y_all = fashion_mnist(N_TRAIN, 2 * N_VAL, seed=args.seed)
x_val, y_val, x_check, y_check = x_all[:N_VAL], y_all[:N_VAL], x_all[N_VAL:], y_all[N_VAL:]


def train_and_score(params: dict, seed: int, x_eval, y_eval) -> float:
    """Train with ``params`` and return the accuracy on (x_eval, y_eval) (NaN if diverged)."""
    minidl.manual_seed(seed)  # every trial of a search starts from its seed: only params differ
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
        return accuracy(model(x_eval), y_eval)


space = {"lr": LogUniform(1e-4, 1.0), "beta": OneMinusLogUniform(0.5, 0.999),
         "hidden": Choice([32, 64, 128, 256])}

print(f"Each search: {BUDGET} trials, MLP on {N_TRAIN} images, {EPOCHS} epochs, score = "
      f"validation accuracy on {N_VAL}; coarse to fine: {ROUNDS} rounds of {PER_ROUND}, narrowing "
      f"around the top {TOP_K}")
rows = []
scores = {"random": [], "coarse to fine": []}  # per seed: (best validation score, re-scored)
for seed in args.seed_list:
    def objective(params, seed=seed):
        return train_and_score(params, seed, x_val, y_val)
    searches = {
        "random": random_search(objective, space, BUDGET, seed=seed, maximize=True),
        "coarse to fine": coarse_to_fine(objective, space, rounds=ROUNDS,
                                         trials_per_round=PER_ROUND, top_k=TOP_K, seed=seed,
                                         shrink=0.3, maximize=True).trials,
    }
    for method, trials in searches.items():
        best = trials[0]
        check = train_and_score(best.params, seed, x_check, y_check)
        scores[method].append((best.score, check))
        rows.append([seed, method, best.score, check, f"{best.params['lr']:.3g}",
                     f"{best.params['beta']:.3g}", best.params["hidden"]])
    last = searches["coarse to fine"]
print_table(["seed", "search", "best val acc", "re-scored on held-out", "lr", "beta", "hidden"],
            rows, key="budget", title=f"The best trial of each search ({BUDGET} trials each)")
keep("scores", scores)

rows = []
for method, values in scores.items():
    best, check = zip(*values)
    rows.append([method, show_spread(best), show_spread(check),
                 show_spread(np.subtract(best, check))])
print_table(["search", "best val acc", "re-scored on held-out", "optimism (best - re-scored)"],
            rows, key="summary", title=f"Mean ± spread over seeds {args.seed_list}")
for column, what in ((0, "best validation accuracy"), (1, "held-out accuracy of its choice")):
    a = [v[column] for v in scores["random"]]
    b = [v[column] for v in scores["coarse to fine"]]
    compare(a, b,
            "At {budget} trials, {which} finds the higher {what} (random {a}, coarse to fine {b}).",
            "At {budget} trials, random search ({a}) and coarse to fine ({b}) are within the "
            "spread on the {what}.", which=("random search", "coarse to fine"), budget=BUDGET,
            what=what)

path = os.path.join(args.out, "hparam_search.png")
if plot_trials(last, path, space, score_label="validation accuracy"):
    print(f"wrote {path} (coarse to fine, seed {args.seed_list[-1]})")
save_results()
