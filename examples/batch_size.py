"""Lesson: batch size beyond speed. Gradient accumulation, memory, sharpness and generalization,
and growing the batch during training.

1. **Gradient accumulation is a larger batch, exactly.** The mean loss over a batch of 64 is the
   mean of four mean losses over its quarters of 16. So four backward passes of ``loss / 4``, whose
   gradients ``.grad`` adds up, and then one ``step()``, make the same update as one batch of 64:
   the same training, with a quarter of the activation memory. Only layers that look across the
   batch break this: BatchNorm normalizes each micro-batch with its own statistics.
2. **Memory grows with the batch.** The activations kept for the backward pass are one row per
   example; the weights and their gradients do not depend on the batch.
3. **Small and large batches find different minima.** With the linear scaling rule (lr
   proportional to the batch) both see the same data for the same epochs; the small batch's
   noisier steps are often said to end in flatter minima that generalize better. We measure the
   generalization gap (validation minus training loss) and the sharpness (the training loss
   Hessian's largest eigenvalue, by power iteration on Hessian-vector products), over seeds.
4. **Ramping the batch up** (32, 64, 128, 256 over the epochs) is a schedule: like decaying the lr,
   a larger batch lowers the gradient noise, and late epochs run in fewer, cheaper steps.

    python examples/batch_size.py [--quick] [--out DIR] [--seeds N]

Read next: ``examples/gradient_descent_variants.py`` (batch size and wall time).
"""
import tracemalloc

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
N_TRAIN, N_VAL, EPOCHS = (512, 512, 2) if args.quick else (4000, 2000, 8)
x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)


def mlp(norm: bool = False) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 128), nn.BatchNorm1d(128) if norm else nn.Identity(),
                         nn.ReLU(), nn.Linear(128, 10))


# ---- Part 1: accumulating 4 micro-batches of 16 vs one batch of 64 -------------------------------
ACCUMULATION_STEPS = min(20, N_TRAIN // 64)


def accumulation_gap(dtype, norm: bool, steps: int = ACCUMULATION_STEPS, micro: int = 4) -> float:
    """Train two copies for ``steps`` updates, one on batches of 64, one accumulating ``micro``
    micro-batches; return the largest parameter difference at the end."""
    minidl.manual_seed(args.seed)
    whole = mlp(norm).to(dtype)
    accumulated = mlp(norm).to(dtype)
    accumulated.load_state_dict(whole.state_dict())
    opt_whole = optim.SGD(whole.parameters(), lr=0.05, momentum=0.9)
    opt_accumulated = optim.SGD(accumulated.parameters(), lr=0.05, momentum=0.9)
    x, y = x_train.to(dtype), y_train
    for step in range(steps):
        xb, yb = x[64 * step:64 * (step + 1)], y[64 * step:64 * (step + 1)]
        opt_whole.zero_grad()
        F.cross_entropy(whole(xb), yb).backward()
        opt_whole.step()
        opt_accumulated.zero_grad()
        for part in range(micro):  # .grad adds up over the backward passes
            size = 64 // micro
            xm, ym = xb[size * part:size * (part + 1)], yb[size * part:size * (part + 1)]
            (F.cross_entropy(accumulated(xm), ym) / micro).backward()
        opt_accumulated.step()
    return max(float((a - b).abs().max()) for a, b in zip(whole.parameters(),
                                                           accumulated.parameters()))


rows = []
for dtype in (minidl.float64, minidl.float32):
    for norm in (False, True):
        rows.append([str(np.dtype(dtype)), "BatchNorm" if norm else "none",
                     f"{accumulation_gap(dtype, norm):.2g}"])
print_table(["dtype", "normalization", "max |parameter difference| at the end"], rows,
            key="accumulation", title=f"Part 1: one batch of 64 vs 4 accumulated micro-batches "
                                      f"of 16, {ACCUMULATION_STEPS} steps of SGD (lr 0.05, "
                                      f"momentum 0.9)")
gaps = {(r[0], r[1]): float(r[2]) for r in rows}
conclude(f"Without BatchNorm, accumulation matches the large batch to rounding: "
         f"{gaps['float64', 'none']:.2g} in float64, {gaps['float32', 'none']:.2g} in float32; "
         f"with BatchNorm the two trainings differ by {gaps['float64', 'BatchNorm']:.2g}.")


# ---- Part 2: memory per batch size ---------------------------------------------------------------
def step_memory(batch_size: int) -> int:
    """Peak bytes allocated by one training step (NumPy reports its arrays to tracemalloc)."""
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    x = minidl.randn(batch_size, 784)
    y = minidl.zeros(batch_size, dtype=minidl.int64)
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()  # once first: gradients and state exist already
    optimizer.step()
    tracemalloc.start()
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


MEMORY_BATCHES = [16, 256, 1024, 4096]
memory = {b: step_memory(b) / 2 ** 20 for b in MEMORY_BATCHES}
rows = [[b, f"{memory[b]:.2f}", f"{b * 784 * 4 / 2 ** 20:.2f}"] for b in MEMORY_BATCHES]
print_table(["batch", "peak MiB during a step", "MiB of the input batch itself"], rows,
            key="memory", title="Part 2: memory of one step of an MLP 784-128-10 (float32), "
                                "by tracemalloc")


# ---- Part 3: small vs large batch, lr scaled: generalization gap and sharpness -------------------
def sharpness(model, x, y, iterations: int = 20) -> float:
    """The largest eigenvalue of the training loss's Hessian, by power iteration on
    Hessian-vector products: g = grad(loss, create_graph=True), then H v = grad(g . v)."""
    params = list(model.parameters())
    rng = np.random.default_rng(0)
    v = [minidl.tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in params]
    eigenvalue = 0.0
    for _ in range(iterations):
        norm = float(np.sqrt(sum(float((u * u).sum()) for u in v)))
        v = [u / norm for u in v]
        loss = F.cross_entropy(model(x), y)
        grads = minidl.grad(loss, params, create_graph=True)
        gv = sum((g * u).sum() for g, u in zip(grads, v))
        hv = minidl.grad(gv, params)
        eigenvalue = sum(float((h * u).sum()) for h, u in zip(hv, v))  # v . H v, |v| = 1
        v = [h.detach() for h in hv]
    return eigenvalue


def train(batch_sizes, lr: float, seed: int):
    """Train with batch_sizes[epoch] (a schedule); returns (train loss, val loss, val acc,
    steps taken, model)."""
    minidl.manual_seed(seed)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    steps = 0
    for batch_size in batch_sizes:
        model.train()
        for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size,
                               shuffle=True):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            steps += 1
    model.eval()
    with minidl.no_grad():
        train_loss = F.cross_entropy(model(x_train), y_train).item()
        logits = model(x_val)
        val_loss = F.cross_entropy(logits, y_val).item()
    return train_loss, val_loss, accuracy(logits, y_val), steps, model


BASE_LR, BASE_BATCH = 0.01, 32
SMALL, LARGE = 16, 512
results = {SMALL: [], LARGE: []}
for seed in args.seed_list:
    for batch_size in (SMALL, LARGE):
        lr = BASE_LR * batch_size / BASE_BATCH
        train_loss, val_loss, val_acc, _, model = train([batch_size] * EPOCHS, lr, seed)
        results[batch_size].append((train_loss, val_loss, val_loss - train_loss, val_acc,
                                    sharpness(model, x_train[:1000], y_train[:1000])))
keep("small_vs_large", {str(b): r for b, r in results.items()})
rows = []
for batch_size, runs in results.items():
    columns = list(zip(*runs))
    rows.append([batch_size, f"{BASE_LR * batch_size / BASE_BATCH:g}"]
                + [show_spread(c) for c in columns])
print_table(["batch", "lr", "train loss", "val loss", "gap (val - train)", "val acc",
             "sharpness (largest Hessian eig)"], rows, key="generalization",
            title=f"Part 3: MLP 784-128-10, {EPOCHS} epochs on {N_TRAIN} images, lr = {BASE_LR} x "
                  f"batch / {BASE_BATCH} (momentum 0.9), mean ± spread over seeds "
                  f"{args.seed_list}")
for column, what in ((2, "generalization gap"), (4, "sharpness"), (3, "validation accuracy")):
    small, large = [r[column] for r in results[SMALL]], [r[column] for r in results[LARGE]]
    compare(small, large,
            "The {what} is larger at batch {which} (batch {small}: {a}, batch {large}: {b}).",
            "The {what} does not differ beyond the spread (batch {small}: {a}, batch {large}: "
            "{b}).", which=(SMALL, LARGE), what=what, small=SMALL, large=LARGE)


# ---- Part 4: batch-size ramp-up ------------------------------------------------------------------
RAMP = [32 * 2 ** min(e * 4 // EPOCHS, 3) for e in range(EPOCHS)]  # 32 -> 256 in four stages
SCHEDULES = {"constant 32": [32] * EPOCHS, "constant 256": [256] * EPOCHS,
             "ramp " + ", ".join(str(b) for b in sorted(set(RAMP))): RAMP}
ramp_results = {name: [] for name in SCHEDULES}
for seed in args.seed_list:
    for name, schedule in SCHEDULES.items():
        train_loss, val_loss, val_acc, steps, _ = train(schedule, BASE_LR, seed)
        ramp_results[name].append((train_loss, val_acc, steps))
rows = [[name, runs[0][2]] + [show_spread(c) for c in list(zip(*runs))[:2]]
        for name, runs in ramp_results.items()]
print_table(["batch schedule", "steps", "train loss", "val acc"], rows, key="ramp",
            title=f"Part 4: the batch size per epoch, lr {BASE_LR} throughout, {EPOCHS} epochs")
ramp_name = list(SCHEDULES)[-1]
for name in list(SCHEDULES)[:-1]:
    ramp_acc, other_acc = [r[1] for r in ramp_results[ramp_name]], [r[1] for r in
                                                                      ramp_results[name]]
    steps = f"{ramp_results[ramp_name][0][2]} steps against {ramp_results[name][0][2]}"
    compare(ramp_acc, other_acc,
            "The ramp ({steps}) ends {which} {name} in validation accuracy ({a} vs {b}).",
            "The ramp ({steps}) ends within the spread of {name} in validation accuracy "
            "({a} vs {b}).", which=("above", "below"), steps=steps, name=name)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i, (batch_size, runs) in enumerate(results.items()):
        gap, sharp = [r[2] for r in runs], [r[4] for r in runs]
        axes[0].scatter(sharp, gap, label=f"batch {batch_size}", color=f"C{i}")
    axes[0].set_xlabel("sharpness (largest Hessian eigenvalue)")
    axes[0].set_ylabel("val loss - train loss")
    axes[0].legend()
    axes[1].plot(MEMORY_BATCHES, [memory[b] for b in MEMORY_BATCHES], "o-")
    axes[1].set_xscale("log", base=2)
    axes[1].set_xlabel("batch size")
    axes[1].set_ylabel("peak MiB during one step")
    save_figure(fig, args.out, "batch_size.png")
save_results()
