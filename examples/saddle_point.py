"""Lesson: saddle points. What the Hessian says about a critical point, and which optimizers escape.

Part 1 classifies critical points with the second-derivative test (``minidl.analysis``): the
gradient must vanish, then the signs of the Hessian's eigenvalues decide
(all > 0: minimum, all < 0: maximum, mixed: saddle, some = 0: the test cannot tell).

Part 2 starts optimizers next to a saddle. x^2 - y^2 has a saddle at 0 but is unbounded below, so
"escaping" it just means running off to -infinity; we add y^4 / 4:

    f(x, y) = x^2 - y^2 + y^4 / 4      saddle at (0, 0), minima at (0, +-sqrt 2) with f = -1

The x direction is curved up (eigenvalue +2) and pulls the point in; the y direction is curved down
(eigenvalue -2) and pushes it out, but only in proportion to y: a point with y = 0 exactly never
leaves, and one with y = 1e-8 needs many steps. Noise (SGD's mini-batches) and momentum help.

    python examples/saddle_point.py [--quick] [--out DIR]

Read next: ``minidl/analysis.py`` (double backprop), then ``examples/optimizers.py``.
"""
import math

import numpy as np
from _lesson_utils import parse_args, print_table, pyplot, save_figure, save_results

import minidl
import minidl.optim
from minidl.analysis import classify_critical_point

args = parse_args(__doc__.splitlines()[0])
STEPS = 250 if args.quick else 600
ESCAPED = -0.5  # f below this: well past the saddle's level (0), on the way to a minimum (-1)

# ---- Part 1: classify points ------------------------------------------------------------------
points = [
    ("x^2 - y^2", lambda v: v[0] ** 2 - v[1] ** 2, (0.0, 0.0)),
    ("x^2 + y^2", lambda v: v[0] ** 2 + v[1] ** 2, (0.0, 0.0)),
    ("-(x^2 + y^2)", lambda v: -(v[0] ** 2 + v[1] ** 2), (0.0, 0.0)),
    ("x^4 + y^4", lambda v: v[0] ** 4 + v[1] ** 4, (0.0, 0.0)),
    ("x^3 - 3xy^2 (monkey)", lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, (0.0, 0.0)),
    ("x^2 - y^2 + y^4/4", lambda v: v[0] ** 2 - v[1] ** 2 + v[1] ** 4 / 4, (0.0, 0.0)),
    ("x^2 - y^2 + y^4/4", lambda v: v[0] ** 2 - v[1] ** 2 + v[1] ** 4 / 4, (0.0, math.sqrt(2))),
    ("x0^5 + x1^2 - 4 x0 x1 + x1^2", lambda v: v[0] ** 5 + v[1] ** 2 - 4 * v[0] * v[1]
     + v[1] ** 2, (11.0, 2.0)),
]
rows = []
for name, f, at in points:
    result = classify_critical_point(f, np.array(at))
    eig = ", ".join(f"{e:.4g}" for e in result.eigenvalues)
    rows.append([name, f"({at[0]:.4g}, {at[1]:.4g})", f"{result.gradient_norm:.4g}", eig,
                 result.kind])
print("Part 1: the second-derivative test")
print_table(["f", "at", "|grad f|", "Hessian eigenvalues", "kind"], rows, key="classify")
# The last row: grad = (5 x0^4 - 4 x1, 4 x1 - 4 x0) = (73197, -36) at (11, 2), far from zero, so
# (11, 2) is no critical point at all, whatever the (positive) curvature there.


# ---- Part 2: escaping the saddle of x^2 - y^2 + y^4/4 ----------------------------------------
def f(v):
    return v[0] ** 2 - v[1] ** 2 + v[1] ** 4 / 4


def run(make_optimizer, start, noise=0.0, seed=0):
    """Optimize f from ``start``; returns the path and the first step at which f < ESCAPED."""
    minidl.manual_seed(seed)
    v = minidl.tensor(start, dtype=minidl.float64, requires_grad=True)
    optimizer = make_optimizer([v])
    path = [v.detach().numpy().copy()]
    escaped_at = None
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        loss = f(v)
        loss.backward()
        if noise:  # stand-in for mini-batch noise: the gradient plus N(0, noise^2)
            v.grad = v.grad + noise * minidl.randn(2, dtype=minidl.float64)
        optimizer.step()
        path.append(v.detach().numpy().copy())
        if escaped_at is None and f(v.detach()).item() < ESCAPED:
            escaped_at = step
    return np.array(path), escaped_at


LR = 0.05
optimizers = {
    "GD": lambda p: minidl.optim.SGD(p, lr=LR),
    "noisy SGD (sigma 0.1)": lambda p: minidl.optim.SGD(p, lr=LR),
    "momentum 0.9": lambda p: minidl.optim.SGD(p, lr=LR, momentum=0.9),
    "Adam": lambda p: minidl.optim.Adam(p, lr=LR),
}
starts = {"y0 = 0 (exactly)": (1.0, 0.0), "y0 = 1e-8": (1.0, 1e-8)}
rows = []
paths = {}
for start_name, start in starts.items():
    for name, make in optimizers.items():
        noise = 0.1 if name.startswith("noisy") else 0.0
        path, escaped_at = run(make, start, noise)
        paths[start_name, name] = path
        rows.append([start_name, name, escaped_at if escaped_at else f"no (>{STEPS})",
                     f"({path[-1][0]:.3f}, {path[-1][1]:.3f})", float(f(minidl.tensor(path[-1])))])
print(f"Part 2: from (1, y0) next to the saddle of x^2 - y^2 + y^4/4, lr {LR}; "
      f"'escaped' = first step with f < {ESCAPED}")
print_table(["start", "optimizer", "steps to escape", "final (x, y)", "final f"], rows,
            key="escape")
# On y = 0 the gradient's y part is exactly 0 forever: GD, momentum and even Adam (0 / (0 + eps))
# converge to the saddle and stay. Only noise leaves the line. From y0 = 1e-8, GD multiplies y by
# (1 + 2 lr) = 1.1 per step, so it needs about log(1e8) / log(1.1) ~ 190 steps; momentum grows y
# faster, and Adam divides the tiny gradient by its own size, moving y by about lr per step at once.

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    xs, ys = np.meshgrid(np.linspace(-1.3, 1.3, 200), np.linspace(-2.2, 2.2, 200))
    for ax, start_name in zip(axes, starts):
        ax.contour(xs, ys, xs ** 2 - ys ** 2 + ys ** 4 / 4, levels=30, cmap="Greys", alpha=0.6)
        for name in optimizers:
            path = paths[start_name, name]
            ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, label=name)
        ax.plot([0], [0], "kx", markersize=10)
        ax.set_title(f"start (x, y) = {starts[start_name]}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    axes[0].legend(loc="lower left", fontsize=8)
    save_figure(fig, args.out, "saddle_point.png")
save_results()
