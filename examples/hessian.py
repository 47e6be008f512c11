"""Lesson: the Hessian. The course notes' finite-difference code, exact Hessians, and curvature
of a network's loss from Hessian-vector products.

Part 1. The notes classify a point of f(x0, x1) = x0^5 + x1^2 - 4 x0 x1 + x1^2 by the signs of
the eigenvalues of a finite-difference Hessian, and at (11, 2) their code answers "local maximum".
The mixed second difference needs four values,

    H[i, j] ~ (f(x + h e_i + h e_j) - f(x + h e_i) - f(x + h e_j) + f(x)) / h^2,

but the code's first term shifts only coordinate j, so it equals the third and cancels: what is
left is (f(x) - f(x + h e_i)) / h^2 ~ -df/dx_i / h, a *first* derivative blown up by 1/h, the same
in every column. At (11, 2) the gradient is (73197, -36), so row 0 is about -7e9 and the matrix
has eigenvalues ~0 and ~-7e9: "negative", hence "maximum". Shifting both coordinates fixes the
formula (up to rounding: h^2 = 1e-10 divides differences of numbers near 1.6e5), and minidl's
``analysis.hessian`` gives the exact matrix by double backpropagation. The test itself was also
misapplied: (11, 2) is not a critical point (the gradient is far from 0), so no eigenvalue sign
makes it a minimum or maximum. The function's critical points are where 5 x0^4 = 4 x1 and
x1 = x0: (0, 0), a saddle, and x0 = x1 = (4/5)^(1/3), a local minimum.

Part 2. A network's loss is a function of all its parameters together, and its Hessian is P x P:
too big to build for real networks, but a Hessian-vector product ``analysis.hvp`` costs two
backward passes. From products alone, power iteration finds the largest eigenvalue, and the
Lanczos method (a few dozen products) the extreme eigenvalues; by eigenvalue interlacing, the
number of negative Ritz values Lanczos reports is a lower bound on the number of negative-
curvature directions. For a small MLP the full Hessian is affordable, so both are checked
against it: at initialization and during training, in hundreds of dimensions, the gradient
descent path passes through regions with many directions of negative curvature (saddle-like),
while a minimum would have none.

    python examples/hessian.py [--quick] [--out DIR]

Read next: ``minidl/analysis.py`` (double backprop); ``examples/saddle_point.py``.
"""
import numpy as np
from _lesson_utils import conclude, keep, parse_args, print_table, pyplot, save_figure, save_results

import minidl
import minidl.nn.functional as F
from minidl.analysis import classify_critical_point, hessian, hvp

args = parse_args(__doc__.splitlines()[0])


# ---- Part 1: the notes' example --------------------------------------------------------------
def f(x):
    """The notes' function (x1^2 appears twice, as in the notes: 2 x1^2 in all)."""
    return x[0] ** 5 + x[1] ** 2 - 4 * x[0] * x[1] + x[1] ** 2


def f_numpy(x: np.ndarray) -> float:
    return float(f(minidl.tensor(x, dtype=minidl.float64)).item())


def difference_hessian(func, x0, h=1e-5, shift_both=True):
    """Second differences. shift_both=False repeats the notes' slip: the term meant to move both
    coordinates i and j moves only j, so the formula measures a first derivative."""
    n = len(x0)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            both = x0 + ei + ej if shift_both else x0 + ej
            H[i, j] = (func(both) - func(x0 + ei) - func(x0 + ej) + func(x0)) / h ** 2
    return H


def verdict(eigenvalues) -> str:
    """The notes' rule, applied to the eigenvalues alone."""
    if np.all(eigenvalues > 0):
        return "local minimum"
    if np.all(eigenvalues < 0):
        return "local maximum"
    if np.any(eigenvalues > 0) and np.any(eigenvalues < 0):
        return "saddle point"
    return "cannot tell"


def show_matrix(H) -> str:
    return "[" + "; ".join(", ".join(f"{v:.5g}" for v in row) for row in H) + "]"


x0 = np.array([11.0, 2.0])
rows = []
for name, H in [
    ("the notes' code (h = 1e-5)", difference_hessian(f_numpy, x0, shift_both=False)),
    ("second differences, both shifted (h = 1e-5)", difference_hessian(f_numpy, x0)),
    ("exact: analysis.hessian", hessian(f, x0).numpy()),
]:
    eigenvalues = np.sort(np.linalg.eigvals(H).real)
    rows.append([name, show_matrix(H), ", ".join(f"{e:.5g}" for e in eigenvalues),
                 verdict(eigenvalues)])
print_table(["Hessian at (11, 2) by", "H", "eigenvalues", "eigenvalue signs say"], rows,
            key="notes", title="Part 1: f = x0^5 + x1^2 - 4 x0 x1 + x1^2 at (11, 2)")

critical = (4 / 5) ** (1 / 3)
rows = []
for at in [(11.0, 2.0), (0.0, 0.0), (critical, critical)]:
    result = classify_critical_point(f, np.array(at))
    rows.append([f"({at[0]:.4g}, {at[1]:.4g})", f"{result.gradient_norm:.4g}",
                 ", ".join(f"{e:.4g}" for e in result.eigenvalues), result.kind])
print_table(["point", "|grad f|", "exact Hessian eigenvalues", "classify_critical_point"], rows,
            key="critical", title="The second-derivative test asks for a zero gradient first")


# ---- Part 2: curvature of a small network's loss, from Hessian-vector products ---------------
rng = np.random.default_rng(args.seed)
N_POINTS, HIDDEN = 200, 16
centres = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float64)
which = rng.integers(0, 4, N_POINTS)
inputs = minidl.tensor(centres[which] + 0.5 * rng.standard_normal((N_POINTS, 2)))
labels = minidl.tensor((which >= 2).astype(np.int64))  # XOR of the signs: not linearly separable
SHAPES = [(HIDDEN, 2), (HIDDEN,), (HIDDEN, HIDDEN), (HIDDEN,), (2, HIDDEN), (2,)]
SIZES = [int(np.prod(s)) for s in SHAPES]
P = sum(SIZES)


def loss_of(theta: minidl.Tensor) -> minidl.Tensor:
    """The MLP 2-16-16-2 (tanh) written as a function of one flat parameter vector, as
    analysis.hessian and hvp expect."""
    pieces, start = [], 0
    for shape, size in zip(SHAPES, SIZES):
        pieces.append(theta[start:start + size].reshape(shape))
        start += size
    W1, b1, W2, b2, W3, b3 = pieces
    h = (inputs @ W1.T + b1).tanh()
    h = (h @ W2.T + b2).tanh()
    return F.cross_entropy(h @ W3.T + b3, labels)


def power_iteration(matvec, n, steps, rng, shift=0.0):
    """The eigenvalue of largest magnitude of (H - shift I), plus shift, from products only."""
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    for _ in range(steps):
        w = matvec(v) - shift * v
        v = w / np.linalg.norm(w)
    return float(v @ (matvec(v) - shift * v)) + shift


def lanczos(matvec, n, k, rng):
    """k steps of Lanczos with full reorthogonalization: the eigenvalues (Ritz values) of the
    k x k tridiagonal matrix T = Q^T H Q. They approach H's extreme eigenvalues first."""
    Q = np.zeros((n, k))
    alpha, beta = np.zeros(k), np.zeros(k)
    q = rng.standard_normal(n)
    Q[:, 0] = q / np.linalg.norm(q)
    for j in range(k):
        w = matvec(Q[:, j])
        alpha[j] = Q[:, j] @ w
        w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)  # against every earlier vector: stays stable
        if j + 1 < k:
            beta[j] = np.linalg.norm(w)
            Q[:, j + 1] = w / beta[j]
    T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    return np.linalg.eigvalsh(T)


STEPS = [0, 300] if args.quick else [0, 100, 1000, 10000]
LANCZOS_K, POWER_STEPS, LR = (20, 50) + (0.5,) if args.quick else (40, 200) + (0.5,)
minidl.manual_seed(args.seed)
theta = (minidl.randn(P, dtype=minidl.float64) * 0.5).requires_grad_()
rows = []
spectra = {}
step = 0
for checkpoint in STEPS:
    while step < checkpoint:  # full-batch gradient descent up to the next checkpoint
        theta.grad = None
        loss_of(theta).backward()
        with minidl.no_grad():
            theta.sub_(LR * theta.grad)
        step += 1
    point = theta.detach()
    products = [0]

    def matvec(v, point=point, products=products):
        products[0] += 1
        return hvp(loss_of, point, v).numpy()

    full = np.linalg.eigvalsh(hessian(loss_of, point).numpy())  # P backward passes: the check
    spectra[checkpoint] = full.tolist()
    largest = power_iteration(matvec, P, POWER_STEPS, np.random.default_rng(args.seed))
    ritz = lanczos(matvec, P, LANCZOS_K, np.random.default_rng(args.seed))
    tolerance = 1e-6 * abs(full).max()
    gradient = minidl.grad(loss_of(point.requires_grad_()), point)[0]
    rows.append([checkpoint, loss_of(point).item(), float(gradient.norm()), full[-1], largest,
                 ritz[-1], full[0], ritz[0], int((full < -tolerance).sum()),
                 int((ritz < -tolerance).sum())])
print_table(["GD step", "loss", "|grad|", "largest eig (full H)", "power iteration",
             "Lanczos largest", "smallest eig (full H)", "Lanczos smallest",
             f"negative eigs (of {P})", "negative Ritz values"], rows, key="network",
            title=f"Part 2: MLP 2-{HIDDEN}-{HIDDEN}-2 (tanh, {P} parameters) on {N_POINTS} XOR "
                  f"points, full-batch GD lr {LR}; Hessian of the loss from {POWER_STEPS} and "
                  f"{LANCZOS_K} Hessian-vector products vs the full {P} x {P} matrix")
keep("spectra", spectra)
for row in rows:
    conclude(f"After {row[0]} steps (loss {row[1]:.3g}, |grad| {row[2]:.2g}): {row[8]} of {P} "
             f"Hessian eigenvalues are negative; {LANCZOS_K} Lanczos steps show {row[9]} of "
             f"them, with extreme Ritz values {row[5]:.4g} and {row[7]:.4g} (full matrix: "
             f"{row[3]:.4g} and {row[6]:.4g}).")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    xs, ys = np.meshgrid(np.linspace(-1, 2, 200), np.linspace(-1.5, 2.5, 200))
    zs = xs ** 5 + 2 * ys ** 2 - 4 * xs * ys
    axes[0].contour(xs, ys, zs, levels=40, cmap="Greys")
    axes[0].plot([0, critical], [0, critical], "rx", markersize=10)
    axes[0].set_title("f near its critical points: saddle (0, 0), minimum (0.93, 0.93)")
    for checkpoint, spectrum in spectra.items():
        spectrum = np.array(spectrum)
        axes[1].plot(np.arange(1, P + 1), np.sign(spectrum) * np.log10(1 + np.abs(spectrum)),
                     label=f"step {checkpoint}")
    axes[1].axhline(0, color="grey", linewidth=0.5)
    axes[1].set_xlabel("eigenvalue index (ascending)")
    axes[1].set_ylabel("sign(eig) log10(1 + |eig|)")
    axes[1].set_title("the loss Hessian's spectrum during training")
    axes[1].legend()
    save_figure(fig, args.out, "hessian.png")
save_results()
