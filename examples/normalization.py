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
batch sizes and learning rates, and compare validation accuracy.

    python examples/normalization.py [--quick] [--out DIR]

Read next: ``minidl/nn/layers/normalization.py`` (the conventions: biased variance to normalize,
unbiased for the running estimate, what ``momentum`` means).
"""
import numpy as np
from _lesson_utils import accuracy, fashion_mnist, parse_args, print_table, pyplot, save_figure

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset

args = parse_args(__doc__.splitlines()[0])
N_TRAIN, N_VAL = (256, 256) if args.quick else (4000, 2000)
BATCH_SIZES = [4, 64] if args.quick else [2, 8, 32, 128]
LRS = [0.1] if args.quick else [0.01, 0.1, 1.0]
NORMS = {"none": lambda n: nn.Identity(), "BatchNorm": nn.BatchNorm1d, "LayerNorm": nn.LayerNorm}

x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)


def make_model(norm) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), norm(256), nn.ReLU(),
                         nn.Linear(256, 256), norm(256), nn.ReLU(), nn.Linear(256, 10))


def train(norm, batch_size: int, lr: float) -> nn.Module:
    """One epoch of SGD (momentum 0.9) over the training subset."""
    minidl.manual_seed(args.seed)
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


def val_accuracy(model) -> float:
    with minidl.no_grad():
        logits = model(x_val)
    return accuracy(logits, y_val) if np.isfinite(logits.numpy()).all() else float("nan")


results = {}  # (norm, batch size, lr) -> validation accuracy
bn_models = {}
for norm_name, norm in NORMS.items():
    for batch_size in BATCH_SIZES:
        for lr in LRS:
            with np.errstate(all="ignore"):  # large lrs diverge without normalization
                model = train(norm, batch_size, lr)
                model.eval()
                results[norm_name, batch_size, lr] = val_accuracy(model)
            if norm_name == "BatchNorm":
                bn_models[batch_size, lr] = model

print(f"Validation accuracy after one epoch over {N_TRAIN} Fashion-MNIST images "
      f"(SGD momentum 0.9; nan = diverged)")
header = ["normalization", "batch"] + [f"lr {lr:g}" for lr in LRS] + ["best"]
rows = []
for norm_name in NORMS:
    for batch_size in BATCH_SIZES:
        accs = [results[norm_name, batch_size, lr] for lr in LRS]
        rows.append([norm_name, batch_size] + accs + [np.nanmax(accs) if
                                                      np.isfinite(accs).any() else np.nan])
print_table(header, rows)

# BatchNorm in training mode normalizes with the statistics of whatever batch it is given; in
# evaluation mode, with the running averages. Evaluate one trained model both ways.
batch_size, lr = BATCH_SIZES[-1], LRS[len(LRS) // 2]
model = bn_models[batch_size, lr]
rows = [["eval mode (running mean/var)", "any", val_accuracy(model)]]
for eval_batch in [2, 16, N_VAL]:
    model.train()  # note: this also keeps updating the running averages
    correct = 0
    with minidl.no_grad():
        for start in range(0, N_VAL - eval_batch + 1, eval_batch):
            logits = model(x_val[start:start + eval_batch])
            correct += int((logits.argmax(1) == y_val[start:start + eval_batch]).numpy().sum())
    evaluated = (N_VAL // eval_batch) * eval_batch
    rows.append(["train mode (batch statistics)", eval_batch, correct / evaluated])
print(f"One BatchNorm model (trained with batch {batch_size}, lr {lr:g}), evaluated two ways")
print_table(["mode", "evaluation batch", "val accuracy"], rows)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, len(LRS), figsize=(4.5 * len(LRS), 4), squeeze=False)
    for ax, lr in zip(axes[0], LRS):
        for norm_name in NORMS:
            ax.plot(BATCH_SIZES, [results[norm_name, b, lr] for b in BATCH_SIZES], "o-",
                    label=norm_name)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size")
        ax.set_ylabel("validation accuracy")
        ax.set_title(f"lr {lr:g}")
    axes[0][0].legend()
    save_figure(fig, args.out, "normalization.png")
