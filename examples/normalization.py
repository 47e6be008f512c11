"""Lesson: BatchNorm and LayerNorm, at large and small batch sizes, and BatchNorm's two modes.

Normalizing each hidden layer's pre-activations to mean 0 and variance 1 (then letting the layer
scale and shift them back with learned gamma, beta) keeps their scale steady while the weights
change, so larger learning rates train stably. The two layers differ in *what* they average over:

* BatchNorm1d: each feature over the batch. Training uses the batch's own mean and variance, so an
  example's output depends on the other examples in its batch, and with a batch of 2 or 4 those
  statistics are very noisy. Evaluation (``model.eval()``) uses running averages collected during
  training instead: deterministic, one example at a time.
* LayerNorm: each example over its features. No batch dependence, same in training and evaluation.

We train the same MLP (784-256-256-10, the norm layer between each Linear and its ReLU) without
normalization, with BatchNorm and with LayerNorm, for the same number of examples seen, at several
batch sizes and learning rates, and compare validation accuracy. Each cell is the mean ± spread
over several seeds; what the script concludes (which runs diverge, which stay at chance, which
normalization is ahead at a batch size) it states only where the seeds agree.

    python examples/normalization.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/layers/normalization.py`` (the conventions: biased variance to normalize,
unbiased for the running estimate, what ``momentum`` means).
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
N_TRAIN, N_VAL = (256, 256) if args.quick else (4000, 2000)
BATCH_SIZES = [4, 64] if args.quick else [2, 8, 32, 128]
LRS = [0.1] if args.quick else [0.01, 0.1, 1.0]
NORMS = {"none": lambda n: nn.Identity(), "BatchNorm": nn.BatchNorm1d, "LayerNorm": nn.LayerNorm}
CHANCE = 0.2  # ten classes: a validation accuracy below this means the run learned ~nothing


def make_model(norm) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), norm(256), nn.ReLU(),
                         nn.Linear(256, 256), norm(256), nn.ReLU(), nn.Linear(256, 10))


def train(norm, batch_size: int, lr: float, seed: int, x_train, y_train) -> nn.Module:
    """One epoch of SGD (momentum 0.9) over the training subset."""
    minidl.manual_seed(seed)
    model = make_model(norm)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True,
                           drop_last=True):  # drop_last: no batch of 1 for BatchNorm
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return model


def val_accuracy(model, x_val, y_val) -> float:
    with minidl.no_grad():
        logits = model(x_val)
    return accuracy(logits, y_val) if np.isfinite(logits.numpy()).all() else float("nan")


results = {}  # (norm, batch size, lr) -> validation accuracy per seed (nan: diverged)
for seed in args.seed_list:
    x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=seed)
    for norm_name, norm in NORMS.items():
        for batch_size in BATCH_SIZES:
            for lr in LRS:
                with np.errstate(all="ignore"):  # large lrs diverge without normalization
                    model = train(norm, batch_size, lr, seed, x_train, y_train)
                    model.eval()
                    val_acc = val_accuracy(model, x_val, y_val)
                results.setdefault((norm_name, batch_size, lr), []).append(val_acc)
                if norm_name == "BatchNorm" and seed == args.seed_list[0] and (
                        batch_size, lr) == (BATCH_SIZES[-1], LRS[len(LRS) // 2]):
                    bn_model, bn_data = model, (x_val, y_val)
keep("results", {f"{n} batch {b} lr {lr:g}": v for (n, b, lr), v in results.items()})

header = ["normalization", "batch"] + [f"lr {lr:g}" for lr in LRS]
rows = [[norm_name, batch_size] + [show_spread(results[norm_name, batch_size, lr]) for lr in LRS]
        for norm_name in NORMS for batch_size in BATCH_SIZES]
print_table(header, rows, key="main",
            title=f"Validation accuracy after one epoch over {N_TRAIN} Fashion-MNIST images "
                  f"(SGD momentum 0.9), mean ± spread over seeds {args.seed_list}")

# What diverged, what stayed at chance, what trained: stated per normalization and lr.
for norm_name in NORMS:
    for lr in LRS:
        at_chance = f"at chance (val acc < {CHANCE})"
        outcome = {"diverged": [], "diverged for some seeds": [], at_chance: [],
                   "at chance for some seeds": [], "trained": []}
        for batch_size in BATCH_SIZES:
            accs = np.array(results[norm_name, batch_size, lr])
            if np.isnan(accs).all():
                outcome["diverged"].append(batch_size)
            elif np.isnan(accs).any():
                outcome["diverged for some seeds"].append(batch_size)
            elif accs.max() < CHANCE:
                outcome[at_chance].append(batch_size)
            elif accs.min() < CHANCE:
                outcome["at chance for some seeds"].append(batch_size)
            else:
                outcome["trained"].append(batch_size)
        parts = [f"{what} at batch {', '.join(map(str, b))}" for what, b in outcome.items() if b]
        conclude(f"{norm_name}, lr {lr:g}: {'; '.join(parts)}.")
# BatchNorm against LayerNorm at each batch size, each at its best lr.
for batch_size in BATCH_SIZES:
    best = {}
    for norm_name in ("BatchNorm", "LayerNorm"):
        accs = [results[norm_name, batch_size, lr] for lr in LRS]
        best[norm_name] = max(accs, key=lambda a: np.nan_to_num(mean_spread(a)[0], nan=-1))
    bn, ln = best["BatchNorm"], best["LayerNorm"]
    if not (np.isfinite(bn).all() and np.isfinite(ln).all()):
        continue
    compare(bn, ln,
            "At batch {batch}, {which} is ahead at its best lr (BatchNorm {a}, LayerNorm {b}).",
            "At batch {batch}, BatchNorm ({a}) and LayerNorm ({b}) at their best lr are within "
            "the spread.", which=("BatchNorm", "LayerNorm"), batch=batch_size)

# BatchNorm in training mode normalizes with the statistics of whatever batch it is given; in
# evaluation mode, with the running averages. Evaluate one trained model both ways.
batch_size, lr = BATCH_SIZES[-1], LRS[len(LRS) // 2]
x_val, y_val = bn_data
model = bn_model
rows = [["eval mode (running mean/var)", "any", val_accuracy(model, x_val, y_val)]]
for eval_batch in [2, 16, N_VAL]:
    model.train()  # note: this also keeps updating the running averages
    correct = 0
    with minidl.no_grad():
        for start in range(0, N_VAL - eval_batch + 1, eval_batch):
            logits = model(x_val[start:start + eval_batch])
            correct += int((logits.argmax(1) == y_val[start:start + eval_batch]).numpy().sum())
    evaluated = (N_VAL // eval_batch) * eval_batch
    rows.append(["train mode (batch statistics)", eval_batch, correct / evaluated])
print_table(["mode", "evaluation batch", "val accuracy"], rows, key="modes",
            title=f"One BatchNorm model (trained with batch {batch_size}, lr {lr:g}, seed "
                  f"{args.seed_list[0]}), evaluated two ways")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, len(LRS), figsize=(4.5 * len(LRS), 4), squeeze=False)
    for ax, lr in zip(axes[0], LRS):
        for norm_name in NORMS:
            means, spreads = zip(*[mean_spread(results[norm_name, b, lr]) for b in BATCH_SIZES])
            ax.errorbar(BATCH_SIZES, means, yerr=spreads, fmt="o-", capsize=3, label=norm_name)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size")
        ax.set_ylabel("validation accuracy (mean ± spread)")
        ax.set_title(f"lr {lr:g}")
    axes[0][0].legend()
    save_figure(fig, args.out, "normalization.png")
save_results()
