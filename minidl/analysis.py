"""Second-order analysis of a function of a vector: Jacobians, Hessians, and critical points.

Everything here is *exact* derivatives from backpropagation, never finite differences. The trick is
double backpropagation: ``minidl.grad(f(x), x, create_graph=True)`` returns the gradient g(x) as a
Tensor that carries a graph of its own, so g can be differentiated again.

* ``jacobian(f, x)``  one backward pass per output element: row i is d f_i / dx.
* ``hessian(f, x)``   the Jacobian of the gradient: n more backward passes through g's graph.
* ``hvp(f, x, v)``    H v without building H: since H v = d/dx (g(x) . v), it is the gradient of
                      one scalar, so it costs two backward passes whatever n is (Pearlmutter, 1994).
* ``classify_critical_point(f, x)``  the second-derivative test. A critical point has g = 0; the
  signs of the Hessian's eigenvalues then say what it is: all positive, a local minimum; all
  negative, a local maximum; both signs, a saddle point; some zero, the test cannot decide
  ("degenerate": x^4 + y^4 and x^4 - y^4 both have a zero Hessian at 0, a minimum and a saddle).

``f`` takes a 1-D Tensor and returns a scalar Tensor (``jacobian``: any Tensor); ``x`` is a 1-D
Tensor or array, used in float64 unless it is already a floating Tensor. Results are Tensors in x's
dtype, except ``classify_critical_point``, which reports NumPy values.

Read next: ``minidl/tune.py`` (hyperparameter search); ``examples/saddle_point.py`` uses these
functions on problems whose answer you know.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from minidl import backend
from minidl.autograd import grad
from minidl.creation import eye, zeros, zeros_like
from minidl.errors import ShapeError
from minidl.grad_mode import enable_grad
from minidl.ops import stack
from minidl.tensor import Tensor

VectorFunction = Callable[[Tensor], Tensor]


def _as_variable(x) -> Tensor:
    """A fresh leaf that requires grad, holding a copy of x (a 1-D Tensor or array-like)."""
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        data = x._array.copy()
    else:
        data = np.array(backend.to_host(x._array) if isinstance(x, Tensor) else x, dtype=np.float64)
    if data.ndim != 1:
        raise ShapeError(f"analysis: x must be a 1-D vector, got shape {tuple(data.shape)}")
    return Tensor(data, requires_grad=True)


def _scalar_output(f: VectorFunction, x: Tensor, name: str) -> Tensor:
    y = f(x)
    if not isinstance(y, Tensor) or y._array.size != 1:
        shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ShapeError(f"{name}: f must return a scalar Tensor, got {shape}")
    return y.reshape(())


def _gradient(f: VectorFunction, x: Tensor, name: str) -> Tensor:
    """g(x) = df/dx, with a graph of its own (create_graph=True) so it can be differentiated."""
    with enable_grad():
        y = _scalar_output(f, x, name)
        if not y.requires_grad:  # f does not depend on x at all
            return zeros_like(x)
        g = grad(y, x, create_graph=True, allow_unused=True)[0]
    return g if g is not None else zeros_like(x)


def _rows(outputs: Tensor, x: Tensor) -> Tensor:
    """The Jacobian of a 1-D ``outputs`` with respect to x: one backward pass per output.

    Row i is the gradient of outputs[i], found by backpropagating the one-hot vector e_i. An output
    that does not depend on x (say, the gradient of a linear function) gives a row of zeros."""
    n_out = outputs.shape[0]
    if not outputs.requires_grad:
        return zeros((n_out, x.shape[0]), dtype=x.dtype, device=x.device)
    basis = eye(n_out, dtype=outputs.dtype, device=outputs.device)
    rows = []
    for i in range(n_out):
        g = grad(outputs, x, basis[i], retain_graph=True, allow_unused=True)[0]
        rows.append(g if g is not None else zeros_like(x))
    return stack(rows)


def jacobian(f: VectorFunction, x) -> Tensor:
    """J[i, j] = d f(x)_i / d x_j for a function of a 1-D vector (its output is flattened)."""
    x = _as_variable(x)
    with enable_grad():
        y = f(x).reshape(-1)
    return _rows(y, x)


def hessian(f: VectorFunction, x) -> Tensor:
    """H[i, j] = d^2 f / dx_i dx_j, exactly: the Jacobian of the gradient (n + 1 backward
    passes: one for the gradient, one per row)."""
    x = _as_variable(x)
    return _rows(_gradient(f, x, "hessian"), x)


def hvp(f: VectorFunction, x, v) -> Tensor:
    """The Hessian-vector product H(x) v in two backward passes, without building H.

    H v = d/dx (g(x) . v) because v does not depend on x: the gradient of one scalar."""
    x = _as_variable(x)
    if isinstance(v, Tensor):
        v = v.detach()
    else:
        v = Tensor._make(backend.asarray(v, x.dtype, x.device), False)
    if v.shape != x.shape:
        raise ShapeError(f"hvp: v has shape {tuple(v.shape)} but x has shape {tuple(x.shape)}")
    g = _gradient(f, x, "hvp")
    if not g.requires_grad:  # a linear f: the Hessian is zero
        return zeros_like(x)
    with enable_grad():
        gv = (g * v).sum()
    hv = grad(gv, x, allow_unused=True)[0]
    return hv if hv is not None else zeros_like(x)


class CriticalPoint(NamedTuple):
    """What ``classify_critical_point`` found at one point."""

    kind: str                # "not a critical point", "local minimum", "local maximum",
                             # "saddle point" or "degenerate"
    eigenvalues: np.ndarray  # of the (symmetrized) Hessian, ascending
    gradient: np.ndarray
    gradient_norm: float

    def __str__(self) -> str:
        eig = np.array2string(self.eigenvalues, precision=4)
        return f"{self.kind} (|grad| = {self.gradient_norm:.3g}, Hessian eigenvalues {eig})"


def classify_critical_point(f: VectorFunction, x, tol: float = 1e-6) -> CriticalPoint:
    """The second-derivative test at x.

    1. If |grad f(x)| > tol, x is "not a critical point" (the result still holds the eigenvalues,
       which describe the local curvature).
    2. Otherwise the eigenvalues of the Hessian decide. One positive and one negative eigenvalue
       make a saddle whatever the others are. Otherwise an eigenvalue within tol * max(1, |lambda|
       max) of zero makes the test inconclusive: "degenerate", and higher derivatives decide.
    """
    x = _as_variable(x)
    g = _gradient(f, x, "classify_critical_point")
    H = backend.to_host(_rows(g, x)._array).astype(np.float64)
    # Exact second derivatives are symmetric only up to rounding: symmetrize before eigvalsh.
    eigenvalues = np.linalg.eigvalsh((H + H.T) / 2)
    gradient = backend.to_host(g._array).astype(np.float64)
    gradient_norm = float(np.linalg.norm(gradient))
    zero = tol * max(1.0, float(np.abs(eigenvalues).max(initial=0.0)))
    if gradient_norm > tol:
        kind = "not a critical point"
    elif eigenvalues.min() < -zero and eigenvalues.max() > zero:
        kind = "saddle point"
    elif np.any(np.abs(eigenvalues) <= zero):
        kind = "degenerate"
    elif eigenvalues.min() > 0:
        kind = "local minimum"
    else:
        kind = "local maximum"
    return CriticalPoint(kind, eigenvalues, gradient, gradient_norm)
