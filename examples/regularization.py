"""Lesson: regularization. A network that overfits, and four ways to make it generalize better.

A 784-512-512-10 MLP has ~670,000 weights; trained on only a few hundred Fashion-MNIST images it
memorizes them (training loss -> 0) while the validation loss turns back up. We compare, from the
same initial weights and batch order:

* none            the overfitting baseline;
* L2 (weight decay)  SGD(weight_decay=lambda) adds lambda * theta to every gradient: the weights
                  shrink by a constant factor each step, pulled toward 0 in proportion to size;
* L1              loss + lambda * sum |theta| (``minidl.nn.regularization.l1_penalty``): a
                  constant-size pull of lambda * sign(theta), which drives small weights to
                  exactly 0;
* dropout         ``nn.Dropout(p)`` after each hidden layer: zeroes units at random while training
                  (scaling the others by 1 / (1 - p)), so no unit can rely on another; off in eval;
* early stopping  the baseline, but watch the validation loss, stop after PATIENCE epochs without
                  improvement, and restore the best weights.

What to look for: the gap between training and validation loss, and how each method narrows it.
Validation *accuracy* moves much less than validation loss here: most of the baseline's rising
validation loss is overconfidence on the examples it gets wrong, not new mistakes.

    python examples/regularization.py [--quick] [--out DIR]

Read next: ``minidl/nn/layers/dropout.py`` and ``minidl/optim/sgd.py`` (weight_decay).
"""

import numpy as np
from _lesson_utils import accuracy, fashion_mnist, parse_args, print_table, pyplot, save_figure

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset
from minidl.nn.regularization import l1_penalty

args = parse_args(__doc__.splitlines()[0])
N_TRAIN, N_VAL, EPOCHS = (200, 300, 6) if args.quick else (500, 3000, 40)
LR = 0.01
PATIENCE = 2 if args.quick else 8

SETUPS = {  # name -> (weight_decay, l1 lambda, dropout p)
    "none": (0.0, 0.0, 0.0),
    "L2 (weight_decay 2e-2)": (2e-2, 0.0, 0.0),
    "L1 (lambda 1e-4)": (0.0, 1e-4, 0.0),
    "dropout 0.5": (0.0, 0.0, 0.5),
}

x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)


def make_model(p: float) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(512, 512), nn.ReLU(), nn.Dropout(p), nn.Linear(512, 10))


def evaluate(model, x, y):
    model.eval()  # dropout off: evaluate the whole network
    with minidl.no_grad():
        logits = model(x)
        return F.cross_entropy(logits, y).item(), accuracy(logits, y)


def train(weight_decay, l1, p, early_stopping=False):
    """Returns per-epoch (train loss, train acc, val loss, val acc), the model, and for early
    stopping the epoch whose weights were kept."""
    minidl.manual_seed(args.seed)
    model = make_model(p)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=50, shuffle=True)
    history = []
    best_loss, best_epoch, best_state = np.inf, 0, None
    for epoch in range(1, EPOCHS + 1):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if l1:
                loss = loss + l1 * l1_penalty(model.parameters())
            loss.backward()
            optimizer.step()
        history.append(evaluate(model, x_train, y_train) + evaluate(model, x_val, y_val))
        if early_stopping:
            val_loss = history[-1][2]
            if val_loss < best_loss:  # a new best: remember these weights (a copy, not a view)
                best_loss, best_epoch = val_loss, epoch
                best_state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= PATIENCE:
                model.load_state_dict(best_state)
                break
    return history, model, best_epoch


def zero_fraction(model) -> float:
    """Share of weights that are ~0 (|w| < 1e-3): L1 makes many, L2 makes few."""
    weights = [p.detach().numpy() for name, p in model.named_parameters() if "weight" in name]
    return float(np.mean(np.concatenate([np.abs(w).ravel() < 1e-3 for w in weights])))


rows = []
histories = {}
for name, (weight_decay, l1, p) in SETUPS.items():
    history, model, _ = train(weight_decay, l1, p)
    histories[name] = history
    train_loss, train_acc, val_loss, val_acc = history[-1]
    best = max(range(len(history)), key=lambda i: history[i][3])
    rows.append([name, train_loss, train_acc, val_loss, val_acc, history[best][3], best + 1,
                 zero_fraction(model)])

history, model, kept = train(0.0, 0.0, 0.0, early_stopping=True)
histories["early stopping"] = history
train_loss, train_acc = evaluate(model, x_train, y_train)
val_loss, val_acc = evaluate(model, x_val, y_val)
rows.append([f"early stopping (stopped at {len(history)}, kept {kept})", train_loss, train_acc,
             val_loss, val_acc, max(h[3] for h in history), kept, zero_fraction(model)])

print(f"MLP 784-512-512-10 on {N_TRAIN} Fashion-MNIST images ({N_VAL} for validation), "
      f"{EPOCHS} epochs, SGD lr {LR} momentum 0.9")
print_table(["regularization", "train loss", "train acc", "val loss", "val acc", "best val acc",
             "best epoch", "|w| < 1e-3"], rows)

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for (name, history), color in zip(histories.items(), plt.cm.tab10.colors):
        epochs = np.arange(1, len(history) + 1)
        train_loss, _, val_loss, val_acc = np.array(history).T
        axes[0].plot(epochs, train_loss, "--", color=color)
        axes[0].plot(epochs, val_loss, "-", color=color, label=name)
        axes[1].plot(epochs, val_acc, "-", color=color, label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("loss (dashed: training, solid: validation)")
    axes[1].set_ylabel("validation accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "regularization.png")
