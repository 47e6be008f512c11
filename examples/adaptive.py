"""Lesson: adaptive learning rates. AdaGrad on sparse features, and RMSProp's defaults.

AdaGrad divides each parameter's step by the square root of the sum of that parameter's squared
gradients so far: theta_i <- theta_i - lr g_i / (sqrt(G_i) + eps), G_i = sum of g_i^2. A feature
that is active in most examples collects a large G_i and takes small steps; a rare feature, whose
weight gets a gradient only now and then, keeps a small G_i and takes large steps when it does.
With plain SGD one lr serves both: small enough for the frequent features, it leaves the rare
ones barely trained. Part 1 is a linear regression on sparse features (a few common ones, many
rare ones: think of words in documents) where every true weight is 1, so the error on rare and
on frequent weights can be read off. Each optimizer gets its best lr from a grid; several seeds.

AdaGrad's sum only grows, so its steps shrink forever. RMSProp replaces the sum by an
exponentially weighted average, E <- gamma E + (1 - gamma) g^2. The course notes give RMSProp's
defaults as gamma = 0.9 and lr = 0.001 (Hinton's lecture); PyTorch's (and minidl's)
``RMSprop`` defaults are alpha = 0.99 and lr = 0.01 (alpha is the notes' gamma). With alpha =
0.99 the average remembers about 1 / (1 - alpha) = 100 steps instead of 10, and since E starts
at 0 without bias correction, the first step is lr / sqrt(1 - alpha) per coordinate: 10 lr at
0.99, 3.2 lr at 0.9. Part 2 shows the first steps, and trains an MLP with both settings.

    python examples/adaptive.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/optim/adagrad.py`` and ``minidl/optim/rmsprop.py`` (updates as math).
"""
import numpy as np
from _lesson_utils import (
    accuracy,
    compare,
    fashion_mnist,
    keep,
    mean_spread,
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

# ---- Part 1: sparse features -------------------------------------------------------------------
N_EXAMPLES, N_FREQUENT, N_RARE = (2000, 10, 200) if args.quick else (10000, 20, 500)
P_FREQUENT, P_RARE = 0.5, 0.01  # chance that a feature is active in an example
EPOCHS = 2 if args.quick else 5
LR_GRID = [10.0 ** e for e in ([-2, -1, 0] if args.quick else [-3, -2.5, -2, -1.5, -1, -0.5, 0])]
OPTIMIZERS = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "AdaGrad": lambda p, lr: optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr: optim.RMSprop(p, lr=lr),
}


def sparse_problem(seed: int):
    """Binary features (frequent ones first, then rare ones), targets x . 1 + noise."""
    rng = np.random.default_rng(seed)
    chance = np.r_[np.full(N_FREQUENT, P_FREQUENT), np.full(N_RARE, P_RARE)]
    x = (rng.random((N_EXAMPLES, N_FREQUENT + N_RARE)) < chance).astype(np.float32)
    y = x.sum(1) + 0.1 * rng.standard_normal(N_EXAMPLES).astype(np.float32)
    return minidl.tensor(x), minidl.tensor(y.astype(np.float32))


def fit(make_optimizer, lr: float, x, y, seed: int):
    """Linear regression (no bias), batch 32; returns the learned weights (NaN if diverged)."""
    minidl.manual_seed(seed)
    w = minidl.zeros(x.shape[1], requires_grad=True)
    optimizer = make_optimizer([w], lr)
    for _epoch in range(EPOCHS):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            F.mse_loss(xb @ w, yb).backward()
            optimizer.step()
    return w.detach().numpy()


def weight_errors(w):
    """Root-mean-square error of the frequent and of the rare features' weights (true: 1)."""
    frequent, rare = w[:N_FREQUENT], w[N_FREQUENT:]
    return float(np.sqrt(((frequent - 1) ** 2).mean())), float(np.sqrt(((rare - 1) ** 2).mean()))


results = {name: [] for name in OPTIMIZERS}  # per seed: (best lr, frequent err, rare err)
for seed in args.seed_list:
    x, y = sparse_problem(seed)
    for name, make in OPTIMIZERS.items():
        runs = []
        for lr in LR_GRID:
            with np.errstate(all="ignore"):
                errors = weight_errors(fit(make, lr, x, y, seed))
            total = errors[0] ** 2 * N_FREQUENT + errors[1] ** 2 * N_RARE
            runs.append((total if np.isfinite(total) else np.inf, lr, errors))
        _, lr, (frequent, rare) = min(runs, key=lambda r: r[0])
        results[name].append((lr, frequent, rare))
keep("sparse", results)
rows = [[name, ", ".join(f"{r[0]:.3g}" for r in runs), show_spread([r[1] for r in runs]),
         show_spread([r[2] for r in runs])] for name, runs in results.items()]
print_table(["optimizer", "best lr per seed", "RMS weight error, frequent features",
             "rare features"], rows, key="sparse",
            title=f"Part 1: linear regression on {N_FREQUENT} frequent (active {P_FREQUENT:.0%}) "
                  f"and {N_RARE} rare (active {P_RARE:.0%}) binary features, {N_EXAMPLES} "
                  f"examples, {EPOCHS} epochs, batch 32; seeds {args.seed_list}")
rare = {name: [r[2] for r in runs] for name, runs in results.items()}
for name in ("AdaGrad", "RMSProp"):
    compare(rare["SGD"], rare[name],
            "On the rare features' weights, {which} ends closer to the truth (SGD {a}, {name} "
            "{b}).",
            "On the rare features' weights, SGD ({a}) and {name} ({b}) are within the spread.",
            which=(name, "SGD"), name=name)

# ---- Part 2: RMSProp, the notes' defaults and PyTorch's ------------------------------------------
SETTINGS = {  # name -> RMSprop keyword arguments
    "notes: gamma 0.9, lr 1e-3": dict(lr=1e-3, alpha=0.9),
    "PyTorch: alpha 0.99, lr 1e-2": dict(lr=1e-2, alpha=0.99),
    "PyTorch's alpha 0.99, lr 1e-3": dict(lr=1e-3, alpha=0.99),
}
rows = []
for name, settings in SETTINGS.items():
    theta = minidl.tensor([0.0], requires_grad=True)
    optimizer = optim.RMSprop([theta], **settings)
    steps = []
    for _ in range(3):  # a constant gradient of 1
        optimizer.zero_grad()
        (theta * 1.0).sum().backward()
        before = float(theta.detach().numpy()[0])
        optimizer.step()
        steps.append(before - float(theta.detach().numpy()[0]))
    rows.append([name] + [f"{s:.4g} ({s / settings['lr']:.3g} lr)" for s in steps])
print_table(["RMSprop", "step 1", "step 2", "step 3"], rows, key="first-steps",
            title="Part 2: the first steps of RMSProp for a constant gradient 1 (no bias "
                  "correction: E starts at 0)")

N_TRAIN, N_VAL, MLP_EPOCHS = (1000, 500, 1) if args.quick else (10000, 2000, 3)
curves = {name: [] for name in SETTINGS}
scores = {name: [] for name in SETTINGS}
for seed in args.seed_list:
    x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, settings in SETTINGS.items():
        minidl.manual_seed(seed)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        optimizer = optim.RMSprop(model.parameters(), **settings)
        losses = []
        for _epoch in range(MLP_EPOCHS):
            for xb, yb in DataLoader(TensorDataset(x_train, y_train), batch_size=64,
                                     shuffle=True):
                optimizer.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        with minidl.no_grad():
            scores[name].append(accuracy(model(x_val), y_val))
        curves[name].append(losses)
rows = [[name, show_spread(scores[name])] for name in SETTINGS]
print_table(["RMSprop", "val acc"], rows, key="mlp",
            title=f"MLP 784-128-10, {MLP_EPOCHS} epochs on {N_TRAIN} Fashion-MNIST images, batch "
                  f"64; mean ± spread over seeds {args.seed_list}")
names = list(SETTINGS)
for other in names[1:]:
    compare(scores[names[0]], scores[other],
            "RMSProp with the notes' defaults reaches a {which} validation accuracy ({a}) than "
            "with {other} ({b}).",
            "RMSProp with the notes' defaults ({a}) and with {other} ({b}) are within the spread.",
            which=("higher", "lower"), other=other)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(OPTIMIZERS)
    for i, (label, column) in enumerate((("frequent", 1), ("rare", 2))):
        means, spreads = zip(*[mean_spread([r[column] for r in results[n]]) for n in names])
        axes[0].bar(np.arange(len(names)) + 0.4 * i, means, 0.4, yerr=spreads, capsize=3,
                    label=f"{label} features")
    axes[0].set_xticks(np.arange(len(names)) + 0.2, names)
    axes[0].set_ylabel("RMS error of the learned weights")
    axes[0].legend()
    for name, runs in curves.items():
        losses = np.array(runs[0])  # the first seed, smoothed over 20 steps
        axes[1].plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), label=name)
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("training loss (20-step average)")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "adaptive.png")
save_results()
