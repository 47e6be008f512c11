"""Lesson: BatchNorm's side effects. The redundant bias, its mild regularization, and dropout.

1. **A bias before BatchNorm does nothing.** BatchNorm subtracts the batch mean of each feature,
   and a bias adds the same constant to every example of a feature: it cancels exactly, its
   gradient is 0, and it never moves. BatchNorm's own beta is the shift that survives; so a
   layer followed by BatchNorm is written ``nn.Linear(n, m, bias=False)`` (a ResNet's convolutions
   have no bias). Part 1 measures the bias's gradient and the output with and without it.
2. **A mild regularizer.** In training, each example is normalized with statistics of the batch
   it happens to be in, a small random perturbation that changes every epoch; the notes call it
   a slight regularizing effect, not a replacement for dropout or weight decay.
3. **BatchNorm with dropout.** Dropout changes the variance of what follows it between training
   (units dropped, the rest scaled by 1 / (1 - p)) and evaluation (nothing dropped). A BatchNorm
   after a dropout layer learns running statistics of the training-time variance and applies them
   at evaluation to inputs of another variance ("variance shift"). Dropout only after the last
   BatchNorm avoids it. Part 2 trains all combinations over several seeds and measures, for the
   second BatchNorm, the ratio of its input's variance in evaluation to its running variance.

    python examples/batchnorm_effects.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/layers/normalization.py``; ``examples/normalization.py``.
"""
import numpy as np
from _lesson_utils import (
    accuracy,
    compare,
    conclude,
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
N_TRAIN, N_VAL, EPOCHS = (512, 512, 2) if args.quick else (2000, 2000, 15)
P = 0.5

# ---- Part 1: the bias before BatchNorm --------------------------------------------------------
x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)
minidl.manual_seed(args.seed)
with_bias = nn.Sequential(nn.Linear(784, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10))
with minidl.no_grad():
    with_bias[0].bias.copy_(minidl.randn(64))  # a large bias, to make the point
without_bias = nn.Sequential(nn.Linear(784, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
                             nn.Linear(64, 10))
state = {k: v for k, v in with_bias.state_dict().items() if k != "0.bias"}
without_bias.load_state_dict(state)
optimizer = optim.SGD(with_bias.parameters(), lr=0.1, momentum=0.9)
optimizer_nb = optim.SGD(without_bias.parameters(), lr=0.1, momentum=0.9)
bias_before = with_bias[0].bias.detach().numpy().copy()
largest_bias_grad = 0.0
STEPS = min(20, N_TRAIN // 32)
for step in range(STEPS):
    xb, yb = x_train[32 * step:32 * (step + 1)], y_train[32 * step:32 * (step + 1)]
    for model, opt in ((with_bias, optimizer), (without_bias, optimizer_nb)):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    largest_bias_grad = max(largest_bias_grad, float(with_bias[0].bias.grad.abs().max()))
with minidl.no_grad():
    difference = float((with_bias(x_val) - without_bias(x_val)).abs().max())
bias_moved = float(np.abs(with_bias[0].bias.detach().numpy() - bias_before).max())
rows = [["largest |gradient| of the bias", f"{largest_bias_grad:.2g}"],
        ["largest change of the bias", f"{bias_moved:.2g}"],
        ["largest |bias| (drawn from N(0, 1))", f"{np.abs(bias_before).max():.3g}"],
        ["max |output with bias - output without| after", f"{difference:.2g}"]]
print_table(["Linear(784, 64) -> BatchNorm1d", "value"], rows, key="bias",
            title=f"Part 1: a bias before BatchNorm, trained next to the same network without "
                  f"it, {STEPS} SGD steps (lr 0.1, momentum 0.9)")
conclude(f"The bias before BatchNorm gets gradients of at most {largest_bias_grad:.2g} and moves "
         f"by {bias_moved:.2g}; the networks with and without it stay equal to "
         f"{difference:.2g}.")


# ---- Part 2: regularization, and dropout before or after BatchNorm -------------------------------
def build(layout: str) -> nn.Sequential:
    """'L' Linear (no bias when a BatchNorm follows), 'B' BatchNorm1d, 'R' ReLU, 'D' Dropout."""
    layers, width = [], 784
    for i, kind in enumerate(layout):
        if kind == "L":
            out = 10 if i == len(layout) - 1 else 256
            layers.append(nn.Linear(width, out, bias=layout[i + 1:i + 2] != "B"))
            width = out
        elif kind == "B":
            layers.append(nn.BatchNorm1d(width))
        else:
            layers.append(nn.ReLU() if kind == "R" else nn.Dropout(P))
    return nn.Sequential(*layers)


LAYOUTS = {
    "none": "LRLRL",
    "BatchNorm": "LBRLBRL",
    f"dropout {P:g}": "LRDLRDL",
    "BatchNorm + dropout before the next BatchNorm": "LBRDLBRDL",
    "BatchNorm + dropout after the last BatchNorm only": "LBRLBRDL",
}


def variance_shift(model, x) -> float:
    """For the last BatchNorm: its input's variance (per feature, over x) with dropout off, as in
    evaluation, divided by the same with dropout on, as in training (the other BatchNorms in
    eval mode both times, so only dropout differs), averaged over features. Its running
    variance was learned with dropout on: a ratio below 1 is the variance shift it meets in
    evaluation."""
    norms = [m for m in model if isinstance(m, nn.BatchNorm1d)]
    if not norms:
        return float("nan")
    seen = []
    handle = norms[-1].register_forward_hook(
        lambda module, inputs, output: seen.append(inputs[0].numpy().var(0)))
    with minidl.no_grad():
        for dropout_on in (False, True):
            model.eval()
            for m in model:
                if isinstance(m, nn.Dropout):
                    m.train(dropout_on)
            model(x)
    handle.remove()
    model.eval()
    return float((seen[0] / seen[1]).mean())


results = {name: [] for name in LAYOUTS}
for seed in args.seed_list:
    x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, layout in LAYOUTS.items():
        minidl.manual_seed(seed)
        model = build(layout)
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for _epoch in range(EPOCHS):
            model.train()
            for xb, yb in DataLoader(TensorDataset(x_train, y_train), batch_size=64,
                                     shuffle=True, drop_last=True):
                optimizer.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                optimizer.step()
        model.eval()
        with minidl.no_grad():
            train_loss = F.cross_entropy(model(x_train), y_train).item()
            logits = model(x_val)
            val_loss = F.cross_entropy(logits, y_val).item()
        results[name].append((train_loss, val_loss, val_loss - train_loss,
                              accuracy(logits, y_val), variance_shift(model, x_val)))
keep("results", results)
rows = []
for name, runs in results.items():
    columns = list(zip(*runs))
    ratio = "-" if np.isnan(columns[4]).all() else show_spread(columns[4])
    rows.append([name, LAYOUTS[name]] + [show_spread(c) for c in columns[:4]] + [ratio])
print_table(["network", "layers", "train loss", "val loss", "gap (val - train)", "val acc",
             "last BN's input variance, dropout off / on"], rows, key="combinations",
            title=f"Part 2: MLP 784-256-256-10 (L Linear, B BatchNorm, R ReLU, D dropout), "
                  f"{EPOCHS} epochs on {N_TRAIN} images, SGD lr 0.05 momentum 0.9, evaluated "
                  f"in eval mode; mean ± spread over seeds {args.seed_list}")


def compare_column(first: str, second: str, column: int, what: str) -> None:
    compare([r[column] for r in results[first]], [r[column] for r in results[second]],
            "{first}: the {what} is {which} than with {second} ({a} vs {b}).",
            "{first} and {second}: the {what} is the same within the spread ({a} vs {b}).",
            first=first, second=second, what=what)


compare_column("BatchNorm", "none", 2, "generalization gap")
compare_column("BatchNorm", "none", 3, "validation accuracy")
between, after = list(LAYOUTS)[3], list(LAYOUTS)[4]
compare_column(between, after, 3, "validation accuracy")
compare_column(between, after, 4, "last BatchNorm's input variance, dropout off / on,")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    names = list(LAYOUTS)
    for ax, column, label in ((axes[0], 2, "val loss - train loss"), (axes[1], 3, "val acc")):
        means, spreads = zip(*[mean_spread([r[column] for r in results[n]]) for n in names])
        ax.bar(range(len(names)), means, yerr=spreads, capsize=4)
        ax.set_xticks(range(len(names)), [LAYOUTS[n] for n in names])
        ax.set_ylabel(label)
    axes[1].set_ylim(min(means) - 0.05, max(means) + 0.03)
    save_figure(fig, args.out, "batchnorm_effects.png")
save_results()
