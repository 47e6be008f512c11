"""Lesson: loss functions. MSE, MAE and Huber on data with outliers; hinge vs cross-entropy.

Regression losses differ in how hard they pull on a large error d = prediction - target:

* MSE (L2 loss), mean d^2: gradient 2d, so an outlier 30 away pulls 30 times harder than a point
  1 away, and a few outliers drag the whole fit. RMSE = sqrt(MSE) is the same criterion in the
  target's own units;
* MAE (L1 loss), mean |d|: gradient sign(d), every point pulls equally: the fit follows the
  median, which outliers barely move; but the gradient does not shrink near the optimum (no
  smooth landing: the notes' "not smooth at 0");
* Huber (``huber_loss(delta)``): d^2 / 2 for |d| < delta, linear beyond: MSE's smooth landing for
  small errors, MAE's bounded pull for outliers.

Part 1 fits a line y = a x + b to points of y = 2x + 1 + noise, 10% of which are outliers shifted
by +30, and measures each fit's error on clean points (several seeds: the outliers' draw).

Classification: cross-entropy (softmax, then -log p of the true class) keeps pushing a correct
prediction toward probability 1: its loss is never exactly 0. The multi-class hinge loss
(``multi_margin_loss``, the SVM's loss) is 0 once the true class's score beats every other by the
margin, and such examples then give no gradient at all. Part 2 trains the same linear classifier
with each on Fashion-MNIST.

    python examples/losses.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/loss_functional.py`` (each loss as a formula).
"""
import numpy as np
from _lesson_utils import (
    accuracy,
    compare,
    conclude,
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

# ---- Part 1: a line through data with outliers --------------------------------------------------
N_POINTS, OUTLIERS, SHIFT = 100, 0.1, 30.0
STEPS = 300 if args.quick else 3000
LOSSES = {
    "MSE": F.mse_loss,
    "MAE (L1)": F.l1_loss,
    "Huber (delta 1)": lambda p, t: F.huber_loss(p, t, delta=1.0),
}


def data(seed: int, outliers: float):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, N_POINTS)
    y = 2 * x + 1 + 0.5 * rng.standard_normal(N_POINTS)
    y[rng.random(N_POINTS) < outliers] += SHIFT
    return minidl.tensor(x, dtype=minidl.float64), minidl.tensor(y, dtype=minidl.float64)


def fit(loss_fn, x, y):
    """Gradient descent (Adam, lr 0.05) on slope and intercept; returns (a, b)."""
    w = minidl.zeros(2, dtype=minidl.float64, requires_grad=True)
    optimizer = optim.Adam([w], lr=0.05)
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss_fn(w[0] * x + w[1], y).backward()
        optimizer.step()
    a, b = w.detach().numpy()
    return float(a), float(b)


x_clean, y_clean = data(10_000, outliers=0.0)  # clean points to measure each fit on
truth_clean = 2 * x_clean + 1
LEAST_SQUARES = "MSE, closed form (np.polyfit)"  # where gradient descent on MSE should end
fits = {name: [] for name in list(LOSSES) + [LEAST_SQUARES]}
mean_shift = []  # how far the outliers raise the points' mean, per seed
for seed in args.seed_list:
    x, y = data(seed, OUTLIERS)
    mean_shift.append(float((y - (2 * x + 1)).mean().item()))
    for name in fits:
        if name == LEAST_SQUARES:
            a, b = (float(v) for v in np.polyfit(x.numpy(), y.numpy(), 1))
        else:
            a, b = fit(LOSSES[name], x, y)
        error = a * x_clean + b - truth_clean
        rmse = float(np.sqrt((error * error).mean().item()))
        fits[name].append((a, b, rmse, float(error.abs().mean().item())))
keep("fits", fits)
rows = [[name] + [show_spread(column) for column in zip(*runs)] for name, runs in fits.items()]
print_table(["loss", "slope a (true 2)", "intercept b (true 1)", "RMSE on clean points",
             "MAE on clean points"], rows, key="regression",
            title=f"Part 1: y = 2x + 1 + noise, {N_POINTS} points, {OUTLIERS:.0%} shifted by "
                  f"+{SHIFT:g}; mean ± spread over seeds {args.seed_list}")
rmse = {name: [r[2] for r in runs] for name, runs in fits.items()}
for name in ("MAE (L1)", "Huber (delta 1)"):
    compare(rmse["MSE"], rmse[name],
            "On clean points, {which} fits better: RMSE {a} (MSE) vs {b} ({name}).",
            "MSE and {name} fit the clean points equally well within the spread.",
            which=(name, "MSE"), name=name)
conclude(f"The MSE fit's intercept is {show_spread([r[1] for r in fits['MSE']])} instead of 1 "
         f"(closed-form least squares: {show_spread([r[1] for r in fits[LEAST_SQUARES]])}): "
         f"a least-squares line passes through the points' mean, which the outliers raise by "
         f"{show_spread(mean_shift)}, and they tilt it too.")

# ---- Part 2: hinge vs cross-entropy on a linear classifier --------------------------------------
N_TRAIN, N_VAL, EPOCHS = (500, 500, 2) if args.quick else (5000, 2000, 10)
CLASSIFIER_LOSSES = {"cross-entropy": F.cross_entropy, "hinge (multi_margin_loss)":
                     F.multi_margin_loss}
results = {name: [] for name in CLASSIFIER_LOSSES}
for seed in args.seed_list:
    x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, loss_fn in CLASSIFIER_LOSSES.items():
        minidl.manual_seed(seed)
        model = nn.Linear(784, 10)
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for _epoch in range(EPOCHS):
            for xb, yb in DataLoader(TensorDataset(x_train, y_train), batch_size=64,
                                     shuffle=True):
                optimizer.zero_grad()
                loss_fn(model(xb), yb).backward()
                optimizer.step()
        with minidl.no_grad():
            logits = model(x_train)
            per_example = loss_fn(logits, y_train, reduction="none").numpy()
            val_acc = accuracy(model(x_val), y_val)
        results[name].append((accuracy(logits, y_train), val_acc, float((per_example == 0).mean()),
                              float(np.median(per_example))))
rows = [[name] + [show_spread(c) for c in zip(*runs)] for name, runs in results.items()]
print_table(["loss", "train acc", "val acc", "share of training examples with loss 0",
             "median training loss"], rows, key="classification",
            title=f"Part 2: a linear classifier (784 -> 10) on {N_TRAIN} Fashion-MNIST images, "
                  f"{EPOCHS} epochs, SGD lr 0.01 momentum 0.9; seeds {args.seed_list}")
ce, hinge = [[r[1] for r in results[n]] for n in CLASSIFIER_LOSSES]
zero_share = show_spread([r[2] for r in results["hinge (multi_margin_loss)"]])
conclude(f"Hinge loss is exactly 0 (no gradient) on {zero_share} of the training examples; "
         f"cross-entropy on none.")
compare(ce, hinge, "{which} reaches the higher validation accuracy ({a} vs {b}).",
        "Validation accuracy: cross-entropy {a}, hinge {b}, within the spread.",
        which=("cross-entropy", "hinge"))

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    x, y = data(args.seed_list[0], OUTLIERS)
    axes[0].scatter(x.numpy(), y.numpy(), s=8, color="grey")
    grid = np.linspace(-3, 3, 2)
    for name in LOSSES:
        a, b = fits[name][0][:2]
        axes[0].plot(grid, a * grid + b, label=f"{name}: {a:.2f} x + {b:.2f}")
    axes[0].plot(grid, 2 * grid + 1, "k--", label="truth: 2 x + 1")
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"fits through {OUTLIERS:.0%} outliers (seed {args.seed_list[0]})")
    d = np.linspace(-3, 3, 301)
    axes[1].plot(d, d ** 2, label="MSE: d^2")
    axes[1].plot(d, np.abs(d), label="MAE: |d|")
    axes[1].plot(d, np.where(np.abs(d) < 1, d ** 2 / 2, np.abs(d) - 0.5), label="Huber (1)")
    axes[1].plot(d, np.maximum(0, 1 - d), label="hinge: max(0, 1 - margin)")
    axes[1].plot(d, np.log1p(np.exp(-d)), label="logistic (2-class CE): log(1 + e^-margin)")
    axes[1].set_ylim(0, 5)
    axes[1].set_xlabel("error d (regression) or margin (classification)")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "losses.png")
save_results()
