"""Backpropagation by hand-sized example: every value and every gradient, printed and checked.

    python examples/scalar_backprop.py [--quick] [--out DIR] [--seed N]

Part 1 is a small expression of five scalars; part 2 is a network of two neurons. For each, the
script prints every intermediate value with its gradient (d loss / d value), checks each gradient
against a finite difference (nudge the value by +-h, see how the loss moves), prints the
backward pass step by step (``minidl.autograd.trace``), and draws the graph: DOT and Mermaid text
always, an SVG too when Graphviz's ``dot`` program is installed, and an explorer page (HTML: open
it in a browser, click the nodes, replay the backward pass). Drawings go to ``--out``
(default ``runs/scalar_backprop``); ``--seed`` picks part 2's initial weights. The script takes
well under a second, so ``--quick`` (which every lesson accepts) runs it unchanged.

Read next: ``docs/how-backprop-works.md``, the guided tour that starts from this expression.
"""
import shutil
from pathlib import Path

from _lesson_utils import parse_args

import minidl
from minidl import nn, viz

args = parse_args(__doc__.splitlines()[0], default_out=str(Path("runs", "scalar_backprop")))
OUT = Path(args.out)  # where the drawings are written (parse_args created it)
H = 1e-6  # finite-difference step (float64 throughout, so it can be this small)
TOLERANCE = 1e-6


def scalar(value, name):
    """A float64 leaf that requires grad, with a name for the printouts and drawings."""
    t = minidl.tensor(value, dtype=minidl.float64, requires_grad=True)
    t.name = name
    return t


def draw(output, stem, params=None):
    """Write the graph behind ``output`` as DOT and Mermaid text, and as SVG when we can."""
    (OUT / f"{stem}.dot").write_text(viz.to_dot(output, params, show_data=True, show_grad=True))
    (OUT / f"{stem}.mmd").write_text(viz.to_mermaid(output, params, show_data=True,
                                                    show_grad=True))
    if shutil.which("dot"):
        viz.render(output, str(OUT / f"{stem}.svg"), params, show_data=True, show_grad=True)
        print(f"drew {OUT / stem}.dot, .mmd and .svg")
    else:
        print(f"drew {OUT / stem}.dot and .mmd (install Graphviz for an SVG: {viz.INSTALL_HINT})")


# ============================================================ part 1: a scalar expression
print("=== part 1: L = tanh((a*b + c) * f / 4) + sqrt(a*b + c)\n")
a, b, c, f = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c"), scalar(-2.0, "f")
leaves = [a, b, c, f]


def expression(nudge):
    """Build the expression; ``nudge[name]`` is added to that intermediate value (to measure
    d L / d value by finite differences). Returns L and the intermediates, by name."""
    values = {}

    def keep(name, t):
        t = t + nudge[name] if name in nudge else t
        t.name = name
        values[name] = t
        return t

    e = keep("e", a * b)
    d = keep("d", e + c)
    h = keep("h", d * f)
    k = keep("k", (h / 4).tanh())
    L = keep("L", k + d.sqrt())
    return L, values


L, values = expression({})
for t in values.values():
    t.retain_grad()  # keep .grad for intermediates too, not only for leaves
# An explorer page: the graph to click through, its backward pass replayed (explore runs one of
# its own, touching no .grad). Open it in a browser.
print("wrote", viz.explore(L).save(OUT / "expression.html"))
with minidl.autograd.trace() as t:
    L.backward()


def finite_difference(name):
    """d L / d name by central differences, nudging a leaf's data or an intermediate."""
    with minidl.no_grad():
        if name in values:
            up, down = (expression({name: s})[0].item() for s in (H, -H))
        else:
            leaf = next(x for x in leaves if x.name == name)
            leaf.data += H
            up = expression({})[0].item()
            leaf.data -= 2 * H
            down = expression({})[0].item()
            leaf.data += H
    return (up - down) / (2 * H)


print(f"{'value':<6}{'data':>12}{'grad':>14}{'finite diff.':>14}")
for x in leaves + list(values.values()):
    numeric = finite_difference(x.name)
    assert abs(numeric - x.grad.item()) < TOLERANCE * max(1.0, abs(numeric)), x.name
    print(f"{x.name:<6}{x.item():>12.6f}{x.grad.item():>14.6f}{numeric:>14.6f}")
print("every gradient matches its finite difference\n")
print(t, "\n")
draw(L, "expression")

# ============================================================ part 2: two neurons
print("\n=== part 2: two neurons, y = sigmoid(w2 * tanh(w1 . x + b1) + b2), squared error\n")
minidl.manual_seed(args.seed)
model = nn.Sequential(nn.Linear(2, 1), nn.Tanh(), nn.Linear(1, 1), nn.Sigmoid()).double()
params = dict(model.named_parameters())
x = minidl.tensor([[0.5, -1.5]], dtype=minidl.float64)
target = minidl.tensor([[1.0]], dtype=minidl.float64)


def loss_of_model():
    return ((model(x) - target) ** 2).sum()


loss = loss_of_model()
print("wrote", viz.explore(loss, model).save(OUT / "two_neurons.html"))  # boxes for its layers
with minidl.autograd.trace(params) as t:
    loss.backward()
print(f"loss = {loss.item():.6f}\n")
print(f"{'parameter':<12}{'data':>12}{'grad':>14}{'finite diff.':>14}")
for name, p in params.items():
    for i in range(p.numel()):
        with minidl.no_grad():
            flat = p.data.reshape(-1)  # a view: nudging it nudges the parameter
            flat[i] += H
            up = loss_of_model().item()
            flat[i] -= 2 * H
            down = loss_of_model().item()
            flat[i] += H
        numeric = (up - down) / (2 * H)
        analytic = p.grad.data.reshape(-1)[i]
        assert abs(numeric - analytic) < TOLERANCE * max(1.0, abs(numeric)), name
        label = name if p.numel() == 1 else f"{name}[{i}]"
        print(f"{label:<12}{flat[i]:>12.6f}{analytic:>14.6f}{numeric:>14.6f}")
print("every gradient matches its finite difference\n")
print(t, "\n")
draw(loss, "two_neurons", params)
