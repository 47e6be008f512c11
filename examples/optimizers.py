"""Lesson: optimizers compared, on 2-D test functions and on a small network.

(a) Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2 (minimum 0 at (1, 1)) and an
    ill-conditioned bowl (x^2 + 50 y^2) / 2 (curvatures 1 and 50). Each optimizer gets the best
    learning rate from a grid (fewest steps until the loss stays below 1e-3, then lowest final
    loss), so the comparison is of methods, not of one lucky lr. Plain gradient descent is
    limited by the steepest direction (lr < 2 / 50 on the bowl) and crawls along the flat one;
    momentum builds speed along the flat direction; the adaptive methods (AdaGrad, RMSProp, Adam)
    divide each coordinate by its own gradient scale.
(b) A 784-128-10 MLP on a Fashion-MNIST subset for a few epochs: loss and accuracy curves, and
    the final numbers as mean ± spread over seeds (a winner is named only beyond the spread).

Momentum comes in three spellings here, all with beta = 0.9:
* "momentum", PyTorch's SGD(momentum=beta): b <- beta b + g, theta <- theta - lr b;
* "EWA momentum", the notes' exponentially weighted average, started at v = 0:
  v <- beta v + (1 - beta) g, theta <- theta - lr v (``minidl.optim.EWAMomentum``). Both sums start
  at 0, so v = (1 - beta) b at every step: EWA at lr takes exactly the steps of PyTorch's form at
  lr (1 - beta). The lesson prints both runs side by side. Started at 0, v_t is (1 - beta^t) times
  a steady gradient: "EWA, bias-corrected" divides it by (1 - beta^t), as Adam does;
* "SGD(dampening=0.9)": b <- beta b + (1 - beta) g, but PyTorch starts b at g, not at 0: an average
  started at the first gradient, whose first step is 1 / (1 - beta) = 10 times the notes' step.

    python examples/optimizers.py [--quick] [--out DIR]

Read next: ``minidl/optim/ewa_momentum.py``, ``sgd.py`` and ``adam.py`` (updates written as math).
"""
import time

import numpy as np
from _lesson_utils import (
    accuracy,
    clearly_different,
    conclude,
    fashion_mnist,
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

args = parse_args(__doc__.splitlines()[0], seeds=3)  # seeds: part (b)
STEPS = 60 if args.quick else 1000
LR_GRID = [1e-3, 1e-2] if args.quick else [10.0 ** e for e in np.arange(-4, 0.01, 0.5)]
BETA = 0.9  # every momentum below: the notes' usual choice (0.9 to 0.99)

OPTIMIZERS = {  # name -> (factory taking (params, lr), lr used for the network in part b)
    "SGD": (lambda p, lr: optim.SGD(p, lr=lr), 0.1),
    "momentum": (lambda p, lr: optim.SGD(p, lr=lr, momentum=BETA), 0.01),
    # The notes' form at lr 0.1 is PyTorch's form at lr 0.1 (1 - BETA) = 0.01 (see part a).
    "EWA momentum": (lambda p, lr: optim.EWAMomentum(p, lr=lr, beta=BETA), 0.1),
    "EWA, bias-corrected": (
        lambda p, lr: optim.EWAMomentum(p, lr=lr, beta=BETA, bias_correction=True), 0.1),
    f"SGD(dampening={BETA})": (
        lambda p, lr: optim.SGD(p, lr=lr, momentum=BETA, dampening=BETA), 0.1),
    "Nesterov": (lambda p, lr: optim.SGD(p, lr=lr, momentum=BETA, nesterov=True), 0.01),
    "AdaGrad": (lambda p, lr: optim.Adagrad(p, lr=lr), 0.01),
    "RMSProp": (lambda p, lr: optim.RMSprop(p, lr=lr), 1e-3),
    "Adam": (lambda p, lr: optim.Adam(p, lr=lr), 1e-3),
    "AdamW": (lambda p, lr: optim.AdamW(p, lr=lr, weight_decay=0.01), 1e-3),
}


# ---- (a) 2-D test functions --------------------------------------------------------------------
def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def bowl(v):
    return (v[0] ** 2 + 50 * v[1] ** 2) / 2


BOWL = "bowl (x^2 + 50 y^2) / 2"
PROBLEMS = {"Rosenbrock": (rosenbrock, (-1.5, 2.0)), BOWL: (bowl, (-4.0, 0.8))}


def descend(f, start, make_optimizer, lr, steps=STEPS):
    """``steps`` steps from ``start``; returns the path (steps + 1, 2) and the loss after each."""
    v = minidl.tensor(start, dtype=minidl.float64, requires_grad=True)
    optimizer = make_optimizer([v], lr)
    path = [v.detach().numpy().copy()]
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = f(v)
        loss.backward()
        optimizer.step()
        path.append(v.detach().numpy().copy())
        losses.append(loss.item())
    final = f(v.detach()).item()
    return np.array(path), losses + [final]


def steps_to(losses, threshold=1e-3):
    """The number of steps after which the loss stays below threshold (inf if it never does).

    "Stays": RMSProp and Adam with a large lr pass through the minimum and keep bouncing."""
    above = [i for i, loss in enumerate(losses) if not loss < threshold]
    first_for_good = above[-1] + 1 if above else 0
    return first_for_good if first_for_good < len(losses) else np.inf


def shown(steps):
    """A step count for the tables: ">STEPS" when the loss never stayed below the threshold."""
    return steps if steps < np.inf else f">{STEPS}"


# The first steps of the momentum spellings on the bowl, all at lr 0.1 except PyTorch's form,
# which gets the equivalent lr 0.1 (1 - BETA). The gradient in y at the start is 50 y0 = 40.
f, start = PROBLEMS[BOWL]
rows = []
for name in ["EWA momentum", "momentum", "EWA, bias-corrected", f"SGD(dampening={BETA})"]:
    lr = 0.1 * (1 - BETA) if name == "momentum" else 0.1
    path, _ = descend(f, start, OPTIMIZERS[name][0], lr, steps=3)
    rows.append([name, f"{lr:.3g}"] + [float(y) for y in path[1:, 1]])
print(f"(a) first steps on the {BOWL} from {start}, momentum {BETA}: y after each step")
print_table(["optimizer", "lr", "y after step 1", "step 2", "step 3"], rows, key="first-steps")

paths = {}
best_lr = {}
for problem, (f, start) in PROBLEMS.items():
    rows = []
    for name, (make, _) in OPTIMIZERS.items():
        runs = []
        for lr in LR_GRID:
            with np.errstate(all="ignore"):  # some grid points diverge: that is the point
                path, losses = descend(f, start, make, lr)
            final = losses[-1] if np.isfinite(losses[-1]) else np.inf
            runs.append((steps_to(losses), final, lr, path))
        steps, final, lr, path = min(runs, key=lambda r: r[:2])
        paths[problem, name] = path
        best_lr[problem, name] = lr
        rows.append([name, f"{lr:.3g}", final, shown(steps),
                     f"({path[-1][0]:.3f}, {path[-1][1]:.3f})"])
    print(f"(a) {problem} from {start}, {STEPS} steps, best lr from {len(LR_GRID)} on a log grid")
    print_table(["optimizer", "best lr", "final loss", "steps until loss stays < 1e-3",
                 "final point"], rows, key=problem.split()[0].lower())

# The equivalence, measured: EWA momentum at its best lr and PyTorch's form at lr (1 - BETA).
rows = []
for problem, (f, start) in PROBLEMS.items():
    lr = best_lr[problem, "EWA momentum"]
    ewa_path, ewa_losses = descend(f, start, OPTIMIZERS["EWA momentum"][0], lr)
    sgd_path, sgd_losses = descend(f, start, OPTIMIZERS["momentum"][0], lr * (1 - BETA))
    rows.append([problem, f"{lr:.3g}", shown(steps_to(ewa_losses)), f"{lr * (1 - BETA):.3g}",
                 shown(steps_to(sgd_losses)), f"{np.abs(ewa_path - sgd_path).max():.1e}"])
print(f"(a) EWA momentum at lr vs PyTorch's momentum at lr (1 - {BETA}): the same steps")
print_table(["problem", "EWA lr", "EWA steps", "momentum lr", "momentum steps",
             "max |EWA path - momentum path|"], rows, key="equivalence")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    grids = {"Rosenbrock": np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200)),
             BOWL: np.meshgrid(np.linspace(-4.5, 1, 200), np.linspace(-1, 1, 200))}
    for ax, (problem, (f, _start)) in zip(axes, PROBLEMS.items()):
        xs, ys = grids[problem]
        zs = f(np.stack([xs, ys]))
        ax.contour(xs, ys, np.log10(zs + 1e-3), levels=25, cmap="Greys", alpha=0.5)
        for name in OPTIMIZERS:
            path = paths[problem, name]
            # EWA momentum retraces PyTorch's momentum (at 10x its lr): dashed, to show both.
            style = ".--" if name == "EWA momentum" else ".-"
            ax.plot(path[:, 0], path[:, 1], style, markersize=2, linewidth=1, label=name)
        ax.set_xlim(xs.min(), xs.max())
        ax.set_ylim(ys.min(), ys.max())
        ax.set_title(problem)
    axes[0].legend(fontsize=8)
    save_figure(fig, args.out, "optimizers_2d.png")

# ---- (b) an MLP on Fashion-MNIST ---------------------------------------------------------------
N_TRAIN, N_VAL, EPOCHS = (1000, 500, 1) if args.quick else (20000, 5000, 5)
curves = {name: [] for name in OPTIMIZERS}  # per seed: per epoch (train loss, val loss, acc)
seconds = {name: [] for name in OPTIMIZERS}
for seed in args.seed_list:
    x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for name, (make, lr) in OPTIMIZERS.items():
        minidl.manual_seed(seed)  # same initial weights and batch order for every optimizer
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        optimizer = make(model.parameters(), lr)
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
        curve = []
        start = time.perf_counter()
        for _epoch in range(EPOCHS):
            model.train()
            total = 0.0
            for x, y in loader:
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(y)
            model.eval()
            with minidl.no_grad():
                logits = model(x_val)
                val_loss = F.cross_entropy(logits, y_val).item()
                val_acc = accuracy(logits, y_val)
            curve.append((total / N_TRAIN, val_loss, val_acc))
        seconds[name].append(time.perf_counter() - start)
        curves[name].append(curve)
rows = [[name, lr] + [show_spread([c[-1][i] for c in curves[name]], 4) for i in range(3)]
        + [f"{np.mean(seconds[name]):.1f}"] for name, (_, lr) in OPTIMIZERS.items()]
print(f"(b) MLP 784-128-10, {N_TRAIN} Fashion-MNIST training images, {EPOCHS} epochs, batch 64; "
      f"mean ± spread over seeds {args.seed_list}")
print_table(["optimizer", "lr", "train loss", "val loss", "val accuracy", "seconds (mean)"], rows,
            key="mlp")
final_acc = {name: [c[-1][2] for c in curves[name]] for name in OPTIMIZERS}
best = max(OPTIMIZERS, key=lambda n: mean_spread(final_acc[n])[0])
behind = [n for n in OPTIMIZERS if n != best and clearly_different(final_acc[best], final_acc[n])]
tied = [n for n in OPTIMIZERS if n != best and n not in behind]
conclude(f"(b) {best} ends with the highest mean validation accuracy "
         f"({show_spread(final_acc[best], 4)}); within the spread of it: {'; '.join(tied)}; "
         f"clearly behind: {'; '.join(behind) or 'none'}.")

if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    epochs = range(1, EPOCHS + 1)
    for name, seed_curves in curves.items():
        curve = seed_curves[0]  # the first seed
        axes[0].plot(epochs, [c[0] for c in curve], "o-", label=name)
        axes[1].plot(epochs, [c[2] for c in curve], "o-", label=name)
    axes[0].set_ylabel("training loss")
    axes[1].set_ylabel("validation accuracy")
    for ax in axes:
        ax.set_xlabel(f"epoch (seed {args.seed_list[0]})")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "optimizers_mlp.png")
save_results()
