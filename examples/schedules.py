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
per epoch.

    python examples/schedules.py [--quick] [--out DIR]

Read next: ``minidl/optim/lr_scheduler.py`` (each schedule in closed form).
"""
import numpy as np
from _lesson_utils import accuracy, fashion_mnist, parse_args, print_table, pyplot, save_figure

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset
from minidl.optim import lr_scheduler

args = parse_args(__doc__.splitlines()[0])
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

x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)
rows = []
runs = {}
for name, make_schedule in SCHEDULES.items():
    minidl.manual_seed(args.seed)  # same initial weights and batch order for every schedule
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    scheduler = make_schedule(optimizer)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    runs[name] = []
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
        runs[name].append((lr, total / N_TRAIN, val_acc))
    lrs, losses, accs = zip(*runs[name])
    middle = len(lrs) // 2
    rows.append([name, f"{lrs[0]:.2g}, {lrs[1]:.2g}, .., {lrs[middle]:.2g}, .., {lrs[-1]:.2g}",
                 losses[-1], accs[-1], max(accs)])

print(f"MLP 784-256-10, SGD momentum 0.9, lr0 {LR}, {N_TRAIN} Fashion-MNIST images, "
      f"{EPOCHS} epochs")
print_table(["schedule", f"lr at epochs 1, 2, {EPOCHS // 2 + 1}, {EPOCHS}", "final train loss",
             "final val acc", "best val acc"], rows)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    epochs = np.arange(1, EPOCHS + 1)
    for name, run in runs.items():
        lrs, losses, accs = zip(*run)
        axes[0].step(epochs, lrs, where="post", label=name)
        axes[1].plot(epochs, losses, "o-", markersize=3, label=name)
        axes[2].plot(epochs, accs, "o-", markersize=3, label=name)
    for ax, label in zip(axes, ["learning rate", "training loss", "validation accuracy"]):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
    axes[1].set_yscale("log")
    axes[0].legend()
    save_figure(fig, args.out, "schedules.png")
