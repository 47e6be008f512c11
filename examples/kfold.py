"""Lesson: k-fold cross-validation to choose a hyperparameter, and the test set touched once.

Training, validation and test sets must not overlap: the training set fits the weights, the
validation set chooses the hyperparameters, the test set measures the final model once. With
little data a single validation split is itself noisy: another split can choose another value.
k-fold cross-validation cuts the data into k folds and trains k times, each time validating on
one fold and training on the other k - 1, so every example is validated on once; the mean over
folds scores a hyperparameter, and the spread over folds says how much to trust the difference.

Here we choose the weight decay of an MLP on a small Fashion-MNIST pool with ``KFold`` (5 folds),
compare with what single 80/20 hold-out splits of the same pool choose, then retrain on the whole
pool with the chosen value and evaluate on the test set, once, at the end.

    python examples/kfold.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/data/dataset.py`` (``KFold``, ``Subset``, ``random_split``).
"""
import numpy as np
from _lesson_utils import (
    accuracy,
    conclude,
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
from minidl.data import DataLoader, KFold, TensorDataset
from minidl.data.datasets import FashionMNIST

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_POOL, EPOCHS, K = (300, 2, 3) if args.quick else (1000, 15, 5)
DECAYS = [0.0, 1e-3, 1e-1] if args.quick else [0.0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1]

# The pool (training + validation) comes from the training set; the test set stays unseen.
train_set = FashionMNIST(train=True, download=True).as_tensor_dataset()
images, labels = train_set.tensors[0].numpy(), train_set.tensors[1].numpy()
pool = np.random.default_rng(args.seed).permutation(len(labels))[:N_POOL]
x_pool = images[pool].reshape(N_POOL, -1).astype(np.float32)
mean, std = x_pool.mean(), x_pool.std()  # statistics of the pool only: no peeking at the test set
x_pool = minidl.tensor((x_pool - mean) / std)
y_pool = minidl.tensor(labels[pool])


def train(x, y, weight_decay: float, seed: int) -> nn.Module:
    minidl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay)
    for _epoch in range(EPOCHS):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return model


def score(model, x, y):
    with minidl.no_grad():
        logits = model(x)
    return F.cross_entropy(logits, y).item(), accuracy(logits, y)


# ---- k-fold cross-validation ---------------------------------------------------------------------
minidl.manual_seed(args.seed)
folds = list(KFold(K, shuffle=True).split(N_POOL))
cv = {}  # weight decay -> validation loss per fold
for decay in DECAYS:
    cv[decay] = []
    for fold, (train_idx, val_idx) in enumerate(folds):
        model = train(x_pool[train_idx], y_pool[train_idx], decay, args.seed + fold)
        cv[decay].append(score(model, x_pool[val_idx], y_pool[val_idx]))
rows = [[f"{decay:g}", show_spread([loss for loss, _ in cv[decay]]),
         show_spread([acc for _, acc in cv[decay]])] for decay in DECAYS]
print_table(["weight decay", "val loss (mean ± spread over folds)", "val acc"], rows, key="cv",
            title=f"{K}-fold cross-validation on a pool of {N_POOL} images (MLP 784-128-10, "
                  f"{EPOCHS} epochs, SGD lr 0.05 momentum 0.9)")
cv_choice = min(DECAYS, key=lambda d: mean_spread([loss for loss, _ in cv[d]])[0])
best_loss, best_spread = mean_spread([loss for loss, _ in cv[cv_choice]])
close = [f"{d:g}" for d in DECAYS if d != cv_choice
         and mean_spread([loss for loss, _ in cv[d]])[0] - best_loss < best_spread]
conclude(f"Cross-validation chooses weight decay {cv_choice:g} (val loss "
         f"{best_loss:.3f} ± {best_spread:.3f})"
         + (f"; {', '.join(close)} within one spread of it." if close else "."))

# ---- single hold-out splits of the same pool ----------------------------------------------------
rows = []
holdout_choices = []
for seed in args.seed_list:
    order = np.random.default_rng(1000 + seed).permutation(N_POOL)
    cut = N_POOL * 4 // 5
    train_idx, val_idx = order[:cut], order[cut:]
    losses = {d: score(train(x_pool[train_idx], y_pool[train_idx], d, seed),
                       x_pool[val_idx], y_pool[val_idx])[0] for d in DECAYS}
    choice = min(DECAYS, key=losses.get)
    holdout_choices.append(choice)
    rows.append([f"split {seed}"] + [f"{losses[d]:.3f}" for d in DECAYS] + [f"{choice:g}"])
print_table(["hold-out split"] + [f"wd {d:g}" for d in DECAYS] + ["chooses"], rows,
            key="holdout", title="Single 80/20 splits of the same pool: validation loss")
conclude(f"Single hold-out splits choose {', '.join(f'{c:g}' for c in holdout_choices)}; "
         f"{K}-fold chooses {cv_choice:g}.")
keep("cv", {f"{d:g}": v for d, v in cv.items()})

# ---- retrain on the whole pool with the chosen value; the test set, once -------------------------
test_set = FashionMNIST(train=False, download=True).as_tensor_dataset()
x_test = minidl.tensor(((test_set.tensors[0].numpy().reshape(len(test_set), -1)
                         .astype(np.float32)) - mean) / std)
y_test = test_set.tensors[1]
final = train(x_pool, y_pool, cv_choice, args.seed)
test_loss, test_acc = score(final, x_test, y_test)
print_table(["chosen weight decay", "trained on", "test loss", "test acc"],
            [[f"{cv_choice:g}", f"all {N_POOL} pool images", test_loss, test_acc]], key="test",
            title=f"The final model, evaluated once on the {len(y_test)} test images")

plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = np.arange(len(DECAYS))
    means, spreads = zip(*[mean_spread([loss for loss, _ in cv[d]]) for d in DECAYS])
    ax.errorbar(xs, means, yerr=spreads, fmt="o-", capsize=4, label=f"{K}-fold mean ± spread")
    for fold in range(K):
        ax.plot(xs, [cv[d][fold][0] for d in DECAYS], ".", color="grey", alpha=0.6)
    ax.set_xticks(xs, [f"{d:g}" for d in DECAYS])
    ax.set_xlabel("weight decay")
    ax.set_ylabel("validation loss (grey: each fold)")
    ax.legend()
    save_figure(fig, args.out, "kfold.png")
save_results()
