"""How minidl checks its own derivatives: numerical gradient checking, and Hypothesis strategies.

``gradcheck(fn, inputs)`` compares the Jacobian that backpropagation computes with one estimated by
central differences in float64:

    dy_i/dx_j  ~=  (f(x + eps e_j)_i - f(x - eps e_j)_i) / (2 eps)

``gradgradcheck(fn, inputs)`` does the same for the gradient itself: it checks the function
(x, v) -> v^T J(x) (a vector-Jacobian product built with ``create_graph=True``), so every backward
rule is verified to be differentiable too.

Read next: ``minidl/nn/parameter.py``, where the neural-network modules begin
(``tests/test_ops_gradcheck.py`` runs gradcheck and gradgradcheck over every op with generated
inputs).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from minidl import backend
from minidl.autograd import grad as autograd_grad
from minidl.errors import AutogradError, MinidlError
from minidl.tensor import Tensor


class GradcheckError(MinidlError, AssertionError):
    """The analytic and numerical derivatives disagree (or the analytic one is malformed)."""


def _flat_output(fn: Callable, inputs: Sequence[Tensor]) -> Tensor:
    """fn(*inputs) as one 1-D tensor (a tuple of outputs is concatenated)."""
    from minidl.ops.shape import cat, reshape
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    flat = [reshape(o, -1) for o in outs if o is not None]
    return flat[0] if len(flat) == 1 else cat(flat)


def _numerical_jacobian(fn, inputs, eps: float) -> list:
    """One (n_out, x.size) matrix per input, by central differences on the host.

    Graph recording stays on: ``fn`` may itself call backward (gradgradcheck's ``vjp`` does)."""
    def evaluate():
        return backend.to_host(_flat_output(fn, inputs)._array).astype(np.float64)

    n_out = evaluate().shape[0]
    jacobians = []
    for x in inputs:
        jac = np.zeros((n_out, x._array.size))
        flat = x._array.reshape(-1)  # a view of the private contiguous copy: writes change x
        original = flat.copy()
        for j in range(flat.size):
            flat[j] = original[j] + eps
            plus = evaluate()
            flat[j] = original[j] - eps
            minus = evaluate()
            flat[j] = original[j]
            jac[:, j] = (plus - minus) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def _analytic_jacobian(fn, inputs) -> list:
    """One (n_out, x.size) matrix per input, one backward pass per output element."""
    out = _flat_output(fn, inputs)
    n_out = out.shape[0]
    jacobians = [np.zeros((n_out, x._array.size)) for x in inputs]
    for i in range(n_out):
        onehot = np.zeros(n_out, dtype=out.dtype)
        onehot[i] = 1
        v = Tensor._make(backend.asarray(onehot, device=out.device), False)
        try:
            grads = autograd_grad(out, inputs, v, retain_graph=True, allow_unused=True)
        except AutogradError as exc:  # the engine rejected a gradient (wrong shape, dtype, ...)
            raise GradcheckError(f"gradcheck: the analytic gradient is malformed: {exc}") from exc
        for k, (x, g) in enumerate(zip(inputs, grads)):
            if g is None:
                continue
            if g.shape != x.shape or g.dtype != x.dtype:
                raise GradcheckError(f"gradcheck: the gradient for input {k} has shape "
                                     f"{tuple(g.shape)} and dtype {g.dtype}, but the input has "
                                     f"shape {tuple(x.shape)} and dtype {x.dtype}")
            again = autograd_grad(out, inputs, v, retain_graph=True, allow_unused=True)[k]
            if not np.array_equal(backend.to_host(again._array), backend.to_host(g._array),
                                  equal_nan=True):  # NaN is reported below, as a mismatch
                raise GradcheckError(f"gradcheck: backward is not deterministic for input {k}")
            jacobians[k][i] = backend.to_host(g._array).reshape(-1)
    return jacobians


def _private_copy(x):
    """A contiguous leaf copy of an input tensor, so central differences can perturb it in
    place without touching the caller's tensor. Non-leaf inputs are copied too: their data may
    be a view (``x.T``) that the perturbation could not write through."""
    if isinstance(x, Tensor) and x.requires_grad:
        copy = backend.get_array_module(x._array).array(x._array, copy=True, order="C")
        return Tensor(copy, requires_grad=True)
    return x


def gradcheck(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check backpropagation's Jacobian of ``fn`` at ``inputs`` against central differences.

    Inputs that require grad are checked; they should be float64 (float32 differences are too
    coarse). On failure the error names the input, the worst element (output index, input
    index), the analytic and numerical values and their difference."""
    inputs = tuple(_private_copy(x) for x in inputs)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input requires grad")

    def of_checked(*xs):
        it = iter(xs)
        return fn(*(next(it) if isinstance(x, Tensor) and x.requires_grad else x
                    for x in inputs))

    analytic = _analytic_jacobian(of_checked, checked)
    numerical = _numerical_jacobian(of_checked, checked, eps)
    for k, (a, n) in enumerate(zip(analytic, numerical)):
        error = np.abs(a - n) - (atol + rtol * np.abs(n))
        error[np.isnan(error)] = np.inf  # a NaN derivative never passes
        if error.size and error.max() > 0:
            i, j = (int(m) for m in np.unravel_index(np.argmax(error), error.shape))
            element = tuple(int(m) for m in np.unravel_index(j, checked[k].shape))
            if raise_exception:
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for input {k} (shape "
                    f"{tuple(checked[k].shape)}): worst at output element {i}, input element "
                    f"{element}: analytic {float(a[i, j])!r}, numerical {float(n[i, j])!r}, "
                    f"difference {float(abs(a[i, j] - n[i, j]))!r} "
                    f"(atol={atol}, rtol={rtol})")
            return False
    return True


def gradgradcheck(fn: Callable, inputs: Sequence[Tensor], grad_outputs: Optional[Tensor] = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check second derivatives: gradcheck the vector-Jacobian product (x, v) -> v^T J(x),
    whose backward rules must themselves be differentiable (``create_graph=True``)."""
    inputs = tuple(inputs)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    out = fn(*inputs)  # with grad mode on: fn may itself differentiate (third derivatives)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        v0 = rng.standard_normal(out.shape).astype(out.dtype)
        grad_outputs = Tensor._make(backend.asarray(v0, device=out.device), False)
    v = Tensor(grad_outputs._array.copy(), requires_grad=out.dtype.kind == "f")

    def vjp(*args):
        xs, vv = args[:-1], args[-1]
        it = iter(xs)
        full = [next(it) if isinstance(x, Tensor) and x.requires_grad else x for x in inputs]
        y = fn(*full)
        gs = autograd_grad(y, list(xs), vv, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, (*checked, v), eps=eps, atol=atol, rtol=rtol)


# ------------------------------------------------------------------------ Hypothesis strategies
def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Strategy: array shapes, e.g. (), (3,), (2, 1, 4)."""
    from hypothesis.extra import numpy as hnp
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4):
    """Strategy: a tuple of ``num_shapes`` shapes that broadcast together."""
    from hypothesis.extra import numpy as hnp
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda result: result.input_shapes)


def float_arrays(shape, low: float = -3.0, high: float = 3.0, dtype=np.float64):
    """Strategy: arrays of ``shape`` with finite values in [low, high]."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(dtype, shape, elements=elements)
