"""Lesson: vanishing and exploding gradients, and gradient clipping.

Backpropagation multiplies the gradient, layer after layer, by each layer's weights and by the
derivative of its activation. The sigmoid's derivative is at most 1/4 (and near 0 where it
saturates), so in a deep sigmoid network the factors shrink the gradient geometrically: the first
layers get almost none and barely learn (vanishing gradients). tanh's derivative is at most 1,
and ReLU's is exactly 1 where it is active, so they lose much less. Normalizing each layer's
pre-activations (BatchNorm, LayerNorm) keeps every layer's input at a steady scale, and with it
the backward factors. Part 1 measures the norm of each layer's weight gradient in a 10-layer
network at its default (PyTorch) initialization, with ``minidl.nn.layer_stats.LayerStats``.

The opposite failure, exploding gradients, comes from factors above 1: part 2 starts a deep ReLU
network with weights 1.3 times He's scale and trains it at a large learning rate. One huge
gradient throws the weights far away, and the loss becomes NaN. Two remedies limit each step:

* ``clip_grad_norm_(params, max_norm)``: if the norm of all gradients together exceeds max_norm,
  scale them all down to max_norm: the direction is kept, only the step is shortened;
* ``clip_grad_value_(params, clip_value)``: clamp every gradient entry to [-c, c]: simpler, but it
  changes the direction (large entries are cut, small ones kept).

Part 2 runs several seeds and states a rescue only when every seed agrees.

    python examples/gradients.py [--quick] [--out DIR] [--seeds N]

Read next: ``minidl/nn/clip.py`` and ``minidl/nn/layer_stats.py``.
"""
import numpy as np
from _lesson_utils import (
    accuracy,
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
from minidl.nn.layer_stats import LayerStats
from minidl.nn.utils import clip_grad_norm_, clip_grad_value_

args = parse_args(__doc__.splitlines()[0], seeds=3)
N_TRAIN, N_VAL, EPOCHS = (512, 512, 1) if args.quick else (4000, 2000, 2)
DEPTH, WIDTH = 10, 128
x_train, y_train, x_val, y_val = fashion_mnist(N_TRAIN, N_VAL, seed=args.seed)

# ---- Part 1: gradient norm per layer at initialization -----------------------------------------
NETWORKS = {  # name -> (activation, normalization layer or None)
    "sigmoid": (nn.Sigmoid, None),
    "tanh": (nn.Tanh, None),
    "ReLU": (nn.ReLU, None),
    "sigmoid + BatchNorm": (nn.Sigmoid, nn.BatchNorm1d),
    "sigmoid + LayerNorm": (nn.Sigmoid, nn.LayerNorm),
}


def deep_network(activation, norm) -> nn.Sequential:
    """DEPTH hidden layers of WIDTH: Linear, [norm], activation; then a Linear to 10 classes."""
    layers, width_in = [], 784
    for _ in range(DEPTH):
        layers.append(nn.Linear(width_in, WIDTH))
        if norm is not None:
            layers.append(norm(WIDTH))
        layers.append(activation())
        width_in = WIDTH
    layers.append(nn.Linear(WIDTH, 10))
    return nn.Sequential(*layers)


profiles = {}
rows = []
for name, (activation, norm) in NETWORKS.items():
    minidl.manual_seed(args.seed)
    model = deep_network(activation, norm)
    linears = [str(i) for i, m in enumerate(model) if isinstance(m, nn.Linear)][:DEPTH]
    with LayerStats(model, modules=linears) as stats:
        F.cross_entropy(model(x_train[:256]), y_train[:256]).backward()
        norms = [stats.param_grad_norm(layer) for layer in linears]
    profiles[name] = norms
    rows.append([name, norms[0], norms[DEPTH // 2 - 1], norms[-1], f"{norms[-1] / norms[0]:.3g}"])
keep("profiles", profiles)
print_table(["network", "|grad W|, layer 1", f"layer {DEPTH // 2}", f"layer {DEPTH}",
             f"layer {DEPTH} / layer 1"], rows, key="profile",
            title=f"Part 1: {DEPTH} hidden layers of {WIDTH}, default init, one batch of 256 "
                  f"(seed {args.seed}): norm of each layer's weight gradient")
for name, norms in profiles.items():
    conclude(f"{name}: layer 1's weight gradient is {norms[0] / norms[-1]:.3g} times "
             f"layer {DEPTH}'s.")

# ---- Part 2: an exploding start, rescued by clipping --------------------------------------------
GAIN, LR, MAX_NORM, CLIP_VALUE = 1.3, 0.05, 1.0, 0.01
METHODS = {
    "no clipping": None,
    f"clip_grad_norm_(max_norm={MAX_NORM:g})": lambda p: clip_grad_norm_(p, MAX_NORM),
    f"clip_grad_value_(clip_value={CLIP_VALUE:g})": lambda p: clip_grad_value_(p, CLIP_VALUE),
}


def exploding_network(seed: int) -> nn.Sequential:
    minidl.manual_seed(seed)
    model = deep_network(nn.ReLU, None)
    for module in model:
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            with minidl.no_grad():
                module.weight.mul_(GAIN)  # 1.3 times He's scale: each layer amplifies
            nn.init.zeros_(module.bias)
    return model


def train(clip, seed):
    """Returns the gradient norm (before clipping) and loss at every step, and the val acc."""
    model = exploding_network(seed)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    grad_norms, losses = [], []
    for _epoch in range(EPOCHS):
        for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            # The norm of all gradients together, measured before any clipping.
            grad_norms.append(float(clip_grad_norm_(model.parameters(), float("inf"))))
            losses.append(loss.item())
            if clip is not None:
                clip(model.parameters())
            optimizer.step()
    with minidl.no_grad():
        logits = model(x_val)
    finite = np.isfinite(logits.numpy()).all()
    return grad_norms, losses, accuracy(logits, y_val) if finite else float("nan")


runs = {name: [] for name in METHODS}
for seed in args.seed_list:
    for name, clip in METHODS.items():
        with np.errstate(all="ignore"):  # the unclipped run overflows: that is the point
            runs[name].append(train(clip, seed))
keep("runs", {name: [(g, loss, a) for g, loss, a in r] for name, r in runs.items()})
rows = []
for name, seed_runs in runs.items():
    accs = [acc for _, _, acc in seed_runs]
    largest = [np.nanmax(g) if np.isfinite(g).any() else np.inf for g, _, _ in seed_runs]
    # Share of the steps (before any NaN) whose gradient norm exceeded MAX_NORM.
    clipped = [np.mean(np.array(g)[np.isfinite(g)] > MAX_NORM) for g, _, _ in seed_runs]
    rows.append([name, f"{sum(np.isnan(accs))} of {len(accs)}", show_spread(accs),
                 f"{np.median(largest):.3g}", f"{np.mean(clipped):.0%}"])
print_table(["method", "diverged (NaN)", "val acc", "largest gradient norm (median over seeds)",
             f"finite steps with norm > {MAX_NORM:g}"], rows, key="clipping",
            title=f"Part 2: ReLU, {DEPTH} layers, init {GAIN} x He, SGD lr {LR} momentum 0.9, "
                  f"{EPOCHS} epochs on {N_TRAIN} images, seeds {args.seed_list}")
for name, seed_runs in runs.items():
    accs = np.array([acc for _, _, acc in seed_runs])
    if np.isnan(accs).all():
        conclude(f"{name}: every seed diverges.")
    elif not np.isnan(accs).any():
        conclude(f"{name}: every seed trains (val acc {show_spread(accs)}).")
    else:
        conclude(f"{name}: {np.isnan(accs).sum()} of {len(accs)} seeds diverge.")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    layers = np.arange(1, DEPTH + 1)
    for name, norms in profiles.items():
        axes[0].semilogy(layers, norms, "o-", label=name)
    axes[0].set_xlabel("layer")
    axes[0].set_ylabel("|grad W| at initialization")
    axes[0].legend(fontsize=8)
    for name, seed_runs in runs.items():
        grad_norms, losses, _ = seed_runs[0]  # the first seed
        axes[1].semilogy(grad_norms, label=name)
        axes[2].plot(losses, label=name)
    axes[1].axhline(MAX_NORM, color="grey", linestyle=":")
    axes[1].set_ylabel("gradient norm before clipping")
    axes[2].set_ylabel("training loss (gaps: NaN)")
    axes[2].set_ylim(0, 5)
    for ax in axes[1:]:
        ax.set_xlabel(f"step (seed {args.seed_list[0]})")
    axes[1].legend(fontsize=8)
    save_figure(fig, args.out, "gradients.png")
save_results()
