"""Lesson: learning-rate schedules, what they look like and what they do to a short training run.

A large lr makes fast progress early but cannot settle into a narrow minimum (the steps bounce
across it, and with mini-batches the gradient noise is scaled by lr); a small lr settles but
crawls. Schedules start large and decay:

* StepLR         lr x 0.1 every few epochs (the classic ImageNet staircase);
* ExponentialLR  lr x gamma every epoch;
* CosineAnnealingLR  lr_min + (lr0 - lr_min)(1 + cos(pi t / T)) / 2: slow, fast, slow decay;
* warm-up        LinearLR from lr0/10 up to lr0 over the first epochs, then cosine
                 (SequentialLR chains the two): large-lr training is fragile at the start, when
                 the weights are random and the gradients large.

All are stepped once per epoch, as in PyTorch: ``optimizer.step()`` per batch, ``scheduler.step()``
per epoch. Every schedule runs with several seeds (initial weights, batch order, data subset): the
table shows mean ± spread, and one schedule is said to beat another only when the difference is
larger than their two spreads added.

    python examples/schedules.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/optim/lr_scheduler.py`` (each schedule in closed form).
"""
import numpy as np
from _lesson_utils import (
    accuracy,
    clearly_different,
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
from minidl.optim import lr_scheduler

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, N_VAL, EPOCHS = (500, 500, 4) if args.quick else (6000, 2000, 12)
LR = 0.1
WARMUP = max(1, EPOCHS // 6)

SCHEDULES = {
    "constant": lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1.0),
    "step": lambda opt: lr_scheduler.StepLR(opt, step_size=max(1, EPOCHS // 3), gamma=0.1),
    "exponential": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.75),
    "cosine": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS),
    "warm-up + cosine": lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=WARMUP),
              lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS - WARMUP)],
        milestones=[WARMUP]),
}


def train(make_schedule, seed, data):
    """Train with one schedule; returns [(lr, training loss, validation accuracy)] per epoch."""
    x_train, y_train, x_val, y_val = data
    minidl.manual_seed(seed)  # same initial weights and batch order for every schedule
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    scheduler = make_schedule(optimizer)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    run = []
    for _epoch in range(EPOCHS):
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        scheduler.step()
        model.eval()
        with minidl.no_grad():
            val_acc = accuracy(model(x_val), y_val)
        run.append((lr, total / N_TRAIN, val_acc))
    return run


runs = {name: [] for name in SCHEDULES}  # name -> one run per seed
for seed in args.seed_list:
    data = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, make_schedule in SCHEDULES.items():
        runs[name].append(train(make_schedule, seed, data))
keep("runs", runs)

rows = []
final_acc = {}
for name, seed_runs in runs.items():
    lrs = [lr for lr, _, _ in seed_runs[0]]
    middle = len(lrs) // 2
    final_loss = [run[-1][1] for run in seed_runs]
    final_acc[name] = [run[-1][2] for run in seed_runs]
    best_acc = [max(acc for _, _, acc in run) for run in seed_runs]
    rows.append([name, f"{lrs[0]:.2g}, {lrs[1]:.2g}, .., {lrs[middle]:.2g}, .., {lrs[-1]:.2g}",
                 show_spread(final_loss), show_spread(final_acc[name]), show_spread(best_acc)])
print_table(["schedule", "lr at epochs 1, 2, middle, last", "final train loss", "final val acc",
             "best val acc"], rows, key="main",
            title=f"MLP 784-256-10, SGD momentum 0.9, lr0 {LR}, {N_TRAIN} Fashion-MNIST images, "
                  f"{EPOCHS} epochs; mean ± spread over seeds {args.seed_list}")

# Which schedules end clearly ahead of which: only pairs whose difference exceeds the spreads.
names = list(SCHEDULES)
unclear = []
for i, a in enumerate(names):
    for b in names[i + 1:]:
        if clearly_different(final_acc[a], final_acc[b]):
            better, worse = sorted((a, b), key=lambda n: -mean_spread(final_acc[n])[0])
            conclude(f"{better} ends with a higher validation accuracy than {worse} "
                     f"({show_spread(final_acc[better])} vs {show_spread(final_acc[worse])}).")
        else:
            unclear.append(f"{a} and {b}")
if len(args.seed_list) > 1 and unclear:
    conclude(f"No difference larger than the spread between {'; '.join(unclear)}.")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    epochs = np.arange(1, EPOCHS + 1)
    for name, seed_runs in runs.items():
        lrs, losses, accs = zip(*seed_runs[0])  # the first seed's curves
        axes[0].step(epochs, lrs, where="post", label=name)
        axes[1].plot(epochs, losses, "o-", markersize=3, label=name)
        axes[2].plot(epochs, accs, "o-", markersize=3, label=name)
    for ax, label in zip(axes, ["learning rate", "training loss", "validation accuracy"]):
        ax.set_xlabel(f"epoch (seed {args.seed_list[0]})")
        ax.set_ylabel(label)
    axes[1].set_yscale("log")
    axes[0].legend()
    save_figure(fig, args.out, "schedules.png")
save_results()
