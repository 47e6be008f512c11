"""Lesson: the smallest training loop, and what float32 does to it.

Minimise cost(w) = w^2 - 10 w + 25 = (w - 5)^2 by gradient descent, lr 0.01, from w = 0: the
gradient is 2w - 10, so each step moves w 2% of the way to 5 and w_t = 5 (1 - 0.98^t).

In float32 the run stops short of 5: after 1,001 steps w = 4.9999886, not 4.99999999. Near 5,
float32 numbers are 2^-21 ~ 4.8e-7 apart, and an update smaller than half that gap rounds away to
nothing: w stops moving once 0.02 (5 - w) < 2.4e-7, i.e. about 1.2e-5 below 5.

The TensorFlow 1 tutorial that popularised this program prints 0.099999994 and 4.999988: one
float32 step (ulp) lower than our 4.9999886. The difference is rounding, not a bug: we round
lr * grad to float32 and then round w - (lr * grad) again. Rounding w - lr * grad only once, as a
fused multiply-add does (which TensorFlow's compiled update kernel may use), lands exactly on
TensorFlow's 4.999988: the third row below.

    python examples/quadratic.py [--quick]

Read next: ``examples/optimizers.py``.
"""
import numpy as np
from _lesson_utils import parse_args, print_table, pyplot, save_figure, save_results

import minidl

args = parse_args(__doc__.splitlines()[0])
LR = 0.01
STEPS = 1001


def show(w: minidl.Tensor) -> str:
    """The shortest decimal that reads back as the same float: str(np.float32) / str(float)."""
    return str(w.detach().numpy()[()])


def train(dtype, coefficients=None, steps=STEPS, fused=False):
    """Gradient descent on w^2 - 10 w + 25, or on a w^2 + b w + c with coefficients = [a, b, c]
    supplied as a tensor. Returns w after step 1 and after ``steps`` steps, the last step at
    which w changed, and w after every step. ``fused``: round w - lr * grad once, not twice."""
    w = minidl.tensor(0.0, dtype=dtype, requires_grad=True)
    history = []
    after_one = None
    last_change = 0
    for step in range(1, steps + 1):
        if coefficients is None:
            cost = w ** 2 - 10 * w + 25
        else:
            cost = coefficients[0] * w ** 2 + coefficients[1] * w + coefficients[2]
        w.grad = None
        cost.backward()  # w.grad = 2w - 10, computed in w's dtype
        with minidl.no_grad():
            before = show(w)
            if fused:  # exact in float64 (a float32 product has 48 bits), one rounding in copy_
                w.copy_(w.double() - w.grad.double() * float(np.float32(LR)))
            else:
                # In place, so w stays the leaf being optimized; LR * grad is rounded to w's
                # dtype (a Python float never widens a float32 tensor), then w - that is rounded.
                w.sub_(LR * w.grad)
            if show(w) != before:
                last_change = step
        history.append(float(w.detach().numpy()))
        if step == 1:
            after_one = show(w)
    return after_one, show(w), last_change, history


rows = []
histories = {}
for dtype in (minidl.float32, minidl.float64):
    after_one, after_all, last_change, histories[dtype] = train(dtype)
    rows.append([str(np.dtype(dtype)), after_one, after_all, last_change])
after_one, after_all, last_change, _ = train(minidl.float32, fused=True)
rows.append(["float32, fused update", after_one, after_all, last_change])
print(f"w^2 - 10w + 25, lr {LR}, from w = 0 (minimum at w = 5)")
print_table(["dtype", "w after 1 step", f"w after {STEPS} steps", "last step that changed w"],
            rows, key="dtypes")

# Why float32 stops: the update 0.02 (5 - w) is below half the spacing of float32 numbers at w.
w = np.float32(rows[0][2])
print(f"float32: w = {str(w)}, 5 - w = {5 - float(w):.3g}, update 2 lr (5 - w) = "
      f"{2 * LR * (5 - float(w)):.3g} < half the float32 spacing at w = {np.spacing(w) / 2:.3g}")
print("float64: the spacing at 5 is 8.9e-16, so w keeps moving; 5 (1 - 0.98^1001) = "
      f"{5 * (1 - 0.98 ** STEPS)!r}\n")

# The same program with the coefficients fed in as data (a TensorFlow 1 'placeholder'): the cost
# a w^2 + b w + c is built from a tensor supplied at run time, so changing it retargets the run.
rows = []
for coefficients in ([1.0, -10.0, 25.0], [1.0, -20.0, 100.0]):
    for dtype in (minidl.float32, minidl.float64):
        c = minidl.tensor(coefficients, dtype=dtype)
        after_one, after_all, _, _ = train(dtype, c)
        rows.append([str(coefficients), str(np.dtype(dtype)), after_one, after_all])
print("coefficients [a, b, c] fed as a tensor: cost = a w^2 + b w + c")
print_table(["[a, b, c]", "dtype", "w after 1 step", f"w after {STEPS} steps"], rows,
            key="coefficients")

plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for dtype, history in histories.items():
        ax.semilogy(range(1, STEPS + 1), 5 - np.array(history), label=str(np.dtype(dtype)))
    ax.set_xlabel("step")
    ax.set_ylabel("5 - w (distance to the minimum)")
    ax.set_title("gradient descent on (w - 5)^2: float32 stalls")
    ax.legend()
    save_figure(fig, args.out, "quadratic.png")
save_results()
