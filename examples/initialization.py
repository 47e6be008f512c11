"""Lesson: weight initialization. Zero init and symmetry, too small and too large, Xavier and He.

Training starts from the initial weights, and two things about them matter:

1. **They must differ.** If every hidden unit of a layer starts with the same weights (all zero,
   or all one constant), every unit computes the same output and receives the same gradient, so
   after any number of steps they are still identical: the layer is worth one unit. All-zero
   weights are worse still: with ReLU or tanh every hidden output is 0, so no gradient reaches
   the hidden weights at all and only the last bias learns. Part 1 counts the distinct hidden
   units after training.
2. **Their scale must keep the signal's scale.** A Linear layer with fan_in inputs multiplies the
   variance of its input by fan_in * Var(w). Over many layers a factor slightly below 1 makes the
   activations (and the gradients, which pass through the same weights backwards) vanish, and a
   factor above 1 makes them explode. Xavier (Glorot) init, Var(w) = 2 / (fan_in + fan_out),
   keeps the factor near 1 for tanh, which is linear near 0; He (Kaiming) init, Var(w) =
   2 / fan_in, makes up for ReLU zeroing half of its inputs. Part 2 measures the activations'
   std and the weight gradients' norm layer by layer in a 10-layer network (with
   ``minidl.nn.layer_stats.LayerStats``), and part 3 trains it briefly with each init.

    python examples/initialization.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/init.py`` (each rule as a formula); ``examples/gradients.py``.
"""
import math

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
from minidl.nn.layer_stats import LayerStats

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, N_VAL, EPOCHS = (512, 512, 1) if args.quick else (4000, 2000, 2)
DEPTH, WIDTH = 10, 256
x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)


def train(model, x, y, lr, epochs, seed):
    """SGD with momentum 0.9, batch 64; returns the last training loss."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    minidl.manual_seed(seed)  # the same batch order for every init
    for _epoch in range(epochs):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
    return loss.item()


def val_accuracy(model) -> float:
    with minidl.no_grad():
        logits = model(x_val)
    return accuracy(logits, y_val) if np.isfinite(logits.numpy()).all() else float("nan")


# ---- Part 1: symmetric starts -----------------------------------------------------------------
def distinct_units(weight: minidl.Tensor) -> int:
    """How many different rows (hidden units' incoming weights) a Linear weight has, counting
    rows within 1% of the largest weight of each other as one (see unit_spread)."""
    w = weight.detach().numpy()
    tolerance = 0.01 * max(float(np.abs(w).max()), 1e-30)
    units = []
    for row in w:
        if all(np.abs(row - unit).max() > tolerance for unit in units):
            units.append(row)
    return len(units)


def unit_spread(weight: minidl.Tensor) -> float:
    """The largest difference between two units' weights, relative to the largest weight. Units
    that start equal stay equal in exact arithmetic; in float32 a matrix product may round each
    row of its result a little differently, and training amplifies those last-bit differences
    (the symmetric state is unstable), but slowly."""
    w = weight.detach().numpy()
    return float((w.max(0) - w.min(0)).max() / max(float(np.abs(w).max()), 1e-30))


SYMMETRIC = {  # name -> how to fill every weight and bias of the network
    "all zeros": lambda p: nn.init.zeros_(p),
    "all 0.01": lambda p: nn.init.constant_(p, 0.01),
    "random (PyTorch default)": None,
}
rows = []
for name, fill in SYMMETRIC.items():
    minidl.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(784, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 10))
    if fill is not None:
        for p in model.parameters():
            fill(p)
    loss = train(model, x_train, y_train, lr=0.05, epochs=EPOCHS, seed=args.seed)
    rows.append([name, distinct_units(model[0].weight), distinct_units(model[2].weight),
                 f"{unit_spread(model[0].weight):.2g}",
                 f"{float(np.abs(model[0].weight.detach().numpy()).max()):.3g}", loss,
                 val_accuracy(model)])
print_table(["initial weights", "distinct units, layer 1 (of 64)", "layer 2 (of 64)",
             "largest difference between units / max |w|, layer 1", "max |w| layer 1 after",
             "final train loss", "val acc"], rows, key="symmetry",
            title=f"Part 1: MLP 784-64-64-10 (tanh), {EPOCHS} epochs of SGD on {N_TRAIN} images")


# ---- Part 2: the signal's scale through 10 layers ----------------------------------------------
def deep_model(activation: str) -> nn.Module:
    layers = [nn.Linear(784, WIDTH)]
    for _ in range(DEPTH - 1):
        layers += [nn.Tanh() if activation == "tanh" else nn.ReLU(), nn.Linear(WIDTH, WIDTH)]
    layers += [nn.Tanh() if activation == "tanh" else nn.ReLU(), nn.Linear(WIDTH, 10)]
    return nn.Sequential(*layers)


INITS = {  # name -> fills one Linear weight (biases start at 0)
    "N(0, 0.01^2) (too small)": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "N(0, 1) (too large)": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "Xavier normal": lambda w: nn.init.xavier_normal_(w),
    "He (Kaiming) normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTIVATIONS = ["tanh", "ReLU"]


def make(activation: str, init, seed: int) -> nn.Module:
    minidl.manual_seed(seed)
    model = deep_model(activation)
    for module in model:
        if isinstance(module, nn.Linear):
            init(module.weight)
            nn.init.zeros_(module.bias)
    return model


profiles = {}  # (activation, init) -> per layer: (activation std, weight gradient norm)
rows = []
batch, labels = x_train[:256], y_train[:256]
for activation in ACTIVATIONS:
    for init_name, init in INITS.items():
        model = make(activation, init, args.seed)
        linears = [str(i) for i, m in enumerate(model) if isinstance(m, nn.Linear)]
        nonlinear = [str(i) for i, m in enumerate(model) if isinstance(m, (nn.Tanh, nn.ReLU))]
        with LayerStats(model, modules=linears + nonlinear) as stats, np.errstate(all="ignore"):
            F.cross_entropy(model(batch), labels).backward()
            stds = [stats.rows[name]["std"] for name in nonlinear]
            grads = [stats.param_grad_norm(name) for name in linears[:-1]]
        profiles[activation, init_name] = list(zip(stds, grads))
        rows.append([activation, init_name, stds[0], stds[DEPTH // 2 - 1], stds[-1], grads[0],
                     grads[-1]])
keep("profiles", {f"{a}, {i}": p for (a, i), p in profiles.items()})
print_table(["activation", "init", "act. std, layer 1", f"layer {DEPTH // 2}", f"layer {DEPTH}",
             "|grad W|, layer 1", f"layer {DEPTH}"], rows, key="scale",
            title=f"Part 2: {DEPTH} hidden layers of {WIDTH}, one batch of 256 images "
                  f"(seed {args.seed}): std of each activation's output and norm of each "
                  f"layer's weight gradient")
for activation in ACTIVATIONS:
    for init_name in INITS:
        std = np.array([s for s, _ in profiles[activation, init_name]])
        per_layer = math.exp(np.log(std[-1] / std[0]) / (DEPTH - 1)) if std[0] > 0 else 0.0
        conclude(f"{activation}, {init_name}: the activations' std changes by a factor "
                 f"{per_layer:.3g} per layer ({std[0]:.3g} at layer 1, {std[-1]:.3g} at layer "
                 f"{DEPTH}).")


# ---- Part 3: does it train? --------------------------------------------------------------------
scores = {}  # (activation, init) -> validation accuracy per seed
for seed in args.seed_list:
    for activation in ACTIVATIONS:
        for init_name, init in INITS.items():
            model = make(activation, init, seed)
            with np.errstate(all="ignore"):
                train(model, x_train, y_train, lr=0.01, epochs=EPOCHS, seed=seed)
                scores.setdefault((activation, init_name), []).append(val_accuracy(model))
rows = [[activation] + [show_spread(scores[activation, init_name]) for init_name in INITS]
        for activation in ACTIVATIONS]
print_table(["activation"] + list(INITS), rows, key="training",
            title=f"Part 3: validation accuracy after {EPOCHS} epochs (SGD lr 0.01, momentum 0.9, "
                  f"{N_TRAIN} images), mean ± spread over seeds {args.seed_list}")
for activation in ACTIVATIONS:
    diverged = [n for n in INITS if np.isnan(scores[activation, n]).all()]
    ranked = sorted((n for n in INITS if n not in diverged),
                    key=lambda n: -mean_spread(scores[activation, n])[0])
    best = ranked[0]
    behind = [n for n in ranked[1:] if clearly_different(scores[activation, best],
                                                          scores[activation, n])]
    tied = [n for n in ranked[1:] if n not in behind]
    sentence = f"{activation}: {best} trains best ({show_spread(scores[activation, best])})"
    if tied:
        sentence += f", within the spread of {'; '.join(tied)}"
    if behind:
        sentence += f"; clearly ahead of {'; '.join(behind)}"
    if diverged:
        sentence += f"; diverged: {'; '.join(diverged)}"
    conclude(sentence + ".")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, len(ACTIVATIONS), figsize=(12, 8), squeeze=False)
    layers = np.arange(1, DEPTH + 1)
    for col, activation in enumerate(ACTIVATIONS):
        for init_name in INITS:
            stds, grads = zip(*profiles[activation, init_name])
            axes[0][col].semilogy(layers, stds, "o-", label=init_name)
            axes[1][col].semilogy(layers, grads, "o-", label=init_name)
        axes[0][col].set_title(f"{activation}: activation std per layer")
        axes[1][col].set_title(f"{activation}: weight gradient norm per layer")
        for row in axes:
            row[col].set_xlabel("layer")
    axes[0][0].legend(fontsize=8)
    save_figure(fig, args.out, "initialization.png")
save_results()
