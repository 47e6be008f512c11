"""Lesson: regularization. A network that overfits, and five ways to make it generalize better.

A 784-512-512-10 MLP has ~670,000 parameters; trained on only a few hundred Fashion-MNIST images
it memorizes them (training loss -> 0) while the validation loss turns back up. We compare, from
the same initial weights and batch order (for each seed):

* none            the overfitting baseline;
* L2 (weight decay)  SGD(weight_decay=lambda) adds lambda * theta to every gradient: the weights
                  shrink by a constant factor each step, pulled toward 0 in proportion to size;
* L1              loss + lambda * sum |theta| (``minidl.nn.regularization.l1_penalty``): a
                  constant-size pull lambda * sign(theta) toward 0. Plain (sub)gradient SGD only
                  *shrinks* weights: a step of fixed size almost never lands on 0.0 exactly, it
                  steps over it, and the weight then hovers around 0 with the sign flipping. The
                  table counts the weights that are exactly 0: none;
* L1, proximal    the same penalty, applied the way sparse solvers do (proximal gradient descent,
                  ISTA): step on the data loss only, then soft-threshold every parameter,
                  theta <- sign(theta) max(|theta| - t, 0). Every weight within t of 0 becomes
                  exactly 0 and stays there until the data gradient pushes it out by more than t.
                  t = lr lambda / (1 - momentum): momentum multiplies a steady pull by
                  1 / (1 - momentum), so this is the same strength as the subgradient row;
* dropout         ``nn.Dropout(p)`` after each hidden layer: zeroes units at random while training
                  (scaling the others by 1 / (1 - p)), so no unit can rely on another; off in eval;
* early stopping  the baseline, but watch the validation loss, stop after PATIENCE epochs without
                  improvement, and restore the best weights: its row shows the kept epoch's
                  numbers (the model it returns), not the best accuracy seen along the way.

Each setting runs with several seeds (initial weights, batch order and data subset); the table
shows mean ± spread (sample standard deviation), and a difference is stated only when it is
larger than the two spreads added.

    python examples/regularization.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/layers/dropout.py`` and ``minidl/optim/sgd.py`` (weight_decay).
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
from minidl.nn.regularization import l1_penalty

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, N_VAL, EPOCHS = (200, 200, 5) if args.quick else (500, 3000, 40)
LR, MOMENTUM = 0.01, 0.9
PATIENCE = 2 if args.quick else 8
L1_LAMBDA = 1e-4

SETUPS = {  # name -> (weight_decay, l1 lambda, proximal?, dropout p, early stopping?)
    "none": (0.0, 0.0, False, 0.0, False),
    "L2 (weight_decay 2e-2)": (2e-2, 0.0, False, 0.0, False),
    f"L1 (lambda {L1_LAMBDA:g}), subgradient": (0.0, L1_LAMBDA, False, 0.0, False),
    f"L1 (lambda {L1_LAMBDA:g}), proximal": (0.0, L1_LAMBDA, True, 0.0, False),
    "dropout 0.5": (0.0, 0.0, False, 0.5, False),
    f"early stopping (patience {PATIENCE})": (0.0, 0.0, False, 0.0, True),
}


def make_model(p: float) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(512, 512), nn.ReLU(), nn.Dropout(p), nn.Linear(512, 10))


def evaluate(model, x, y):
    model.eval()  # dropout off: evaluate the whole network
    with minidl.no_grad():
        logits = model(x)
        return F.cross_entropy(logits, y).item(), accuracy(logits, y)


def soft_threshold_(params, t: float) -> None:
    """The proximal step of t * sum |theta|: shrink each entry by t, to exactly 0 if within t."""
    with minidl.no_grad():
        for p in params:
            p.copy_(p.sign() * (p.abs() - t).clamp(min=0.0))


def train(data, seed, weight_decay, l1, proximal, p, early_stopping):
    """Returns per-epoch (train loss, train acc, val loss, val acc), the model, and the epoch
    whose weights the model holds (the last one, or for early stopping the kept one)."""
    x_train, y_train, x_val, y_val = data
    minidl.manual_seed(seed)
    model = make_model(p)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=50, shuffle=True)
    history = []
    best_loss, best_epoch, best_state = np.inf, 0, None
    for epoch in range(1, EPOCHS + 1):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if l1 and not proximal:
                loss = loss + l1 * l1_penalty(model.parameters())
            loss.backward()
            optimizer.step()
            if proximal:
                soft_threshold_(model.parameters(), LR * l1 / (1 - MOMENTUM))
        history.append(evaluate(model, x_train, y_train) + evaluate(model, x_val, y_val))
        if early_stopping:
            val_loss = history[-1][2]
            if val_loss < best_loss:  # a new best: remember these weights (a copy, not a view)
                best_loss, best_epoch = val_loss, epoch
                best_state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= PATIENCE:
                break
    if early_stopping:
        model.load_state_dict(best_state)
        return history, model, best_epoch
    return history, model, len(history)


def zeros(model):
    """(parameters exactly 0.0, share with |p| < 1e-3, parameter count)."""
    values = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    return int((values == 0).sum()), float((np.abs(values) < 1e-3).mean()), values.size


results = {name: [] for name in SETUPS}  # name -> per seed: (train loss, val loss, val acc, ...)
histories = {name: [] for name in SETUPS}
for seed in args.seed_list:
    data = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, setup in SETUPS.items():
        history, model, epoch = train(data, seed, *setup)
        train_loss, train_acc = evaluate(model, data[0], data[1])
        val_loss, val_acc = evaluate(model, data[2], data[3])
        exact, small, n_params = zeros(model)
        results[name].append((train_loss, train_acc, val_loss, val_acc, exact, small, epoch,
                              len(history)))
        histories[name].append(history)
keep("histories", histories)  # per setup, per seed, per epoch: train loss/acc, val loss/acc

rows = []
for name, runs in results.items():
    train_loss, train_acc, val_loss, val_acc, exact, small, epoch, stopped = zip(*runs)
    if name.startswith("early stopping"):
        epochs = ", ".join(f"{e} (stopped {s})" for e, s in zip(epoch, stopped))
    else:
        epochs = ", ".join(str(e) for e in epoch)
    rows.append([name, show_spread(train_loss), show_spread(train_acc), show_spread(val_loss),
                 show_spread(val_acc), epochs, f"{np.mean(exact):,.0f}", f"{np.mean(small):.1%}"])
print_table(["regularization", "train loss", "train acc", "val loss", "val acc",
             "weights of epoch", "params = 0.0", "|p| < 1e-3"], rows, key="main",
            title=f"MLP 784-512-512-10 ({n_params:,} parameters) on {N_TRAIN} Fashion-MNIST "
                  f"images ({N_VAL} for validation), {EPOCHS} epochs, SGD lr {LR} momentum "
                  f"{MOMENTUM}; mean ± spread over seeds {args.seed_list}")

# What the numbers say, stated only where the seeds agree.
baseline = results["none"]
for name, runs in results.items():
    if name == "none":
        continue
    for column, what in ((2, "validation loss"), (3, "validation accuracy")):
        compare([r[column] for r in baseline], [r[column] for r in runs],
                "{name} {which} the {what} ({a} -> {b}).",
                "{name}: {what} {b}, within the seeds' spread of no regularization's {a}.",
                which=("lowers", "raises"), name=name, what=what)
for name in SETUPS:
    if name.startswith("L1"):
        exact = [r[4] for r in results[name]]
        conclude(f"{name}: {np.mean(exact):,.0f} of {n_params:,} parameters are exactly 0 "
                 f"({np.mean(exact) / n_params:.1%}).")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for (name, runs), color in zip(histories.items(), plt.cm.tab10.colors):
        history = np.array(runs[0])  # the first seed's curves
        epochs = np.arange(1, len(history) + 1)
        train_loss, _, val_loss, val_acc = history.T
        axes[0].plot(epochs, train_loss, "--", color=color)
        axes[0].plot(epochs, val_loss, "-", color=color, label=name)
        axes[1].plot(epochs, val_acc, "-", color=color, label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("loss (dashed: training, solid: validation)")
    axes[1].set_ylabel("validation accuracy")
    for ax in axes:
        ax.set_xlabel(f"epoch (seed {args.seed_list[0]})")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "regularization.png")
save_results()
