"""``minidl.linalg``: PyTorch's ``torch.linalg`` norms: ``vector_norm``, ``matrix_norm`` and
``norm``, which picks one of the two.

    vector_norm(x, ord):   (sum |x|^ord)^(1/ord) over ``dim`` (every element by default);
                           ord = inf / -inf: max / min |x|; ord = 0: the count of nonzeros
    matrix_norm(A, ord):   over the two dims ``dim`` (the last two by default):
                           'fro': sqrt(sum A^2);  1 / -1: max / min column sum of |A|;
                           inf / -inf: max / min row sum of |A|

All are composed from ``minidl.ops.reduce.norm`` (whose 2-norm has the gradient 0, not NaN,
at 0), ``sum`` and ``amax``/``amin`` (ties share the gradient). The nuclear norm ('nuc') and
the spectral norms (2, -2) need singular values, which minidl does not compute: they raise.
(The module ``minidl/ops/linalg.py`` is another one: matmul.)

Read next: ``minidl/ops/shape.py`` (reshape, transpose, cat, pad, broadcasting).
"""
from __future__ import annotations

import math

from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim, normalize_dims
from minidl.ops.dtype_checks import require_float
from minidl.ops.extrema import amax, amin
from minidl.ops.reduce import norm as _p_norm
from minidl.ops.reduce import sum as _sum
from minidl.ops.shape import reshape
from minidl.ops.unary import abs
from minidl.tensor import Tensor

__all__ = ["matrix_norm", "norm", "vector_norm"]


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """The ``ord``-norm of x over ``dim`` (an int, a tuple, or None: all elements), as a
    vector's (``torch.linalg.vector_norm``). ``out=`` here and below: as in PyTorch
    (``minidl/ops/arguments.py``)."""
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise DTypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    x = x if dtype is None else x.to(dtype)
    require_float("linalg.vector_norm", x)
    normalize_dims(dim, x.ndim, "linalg.vector_norm")  # (names this op if dim is wrong)
    y = _p_norm(x, ord, dim, keepdim)
    return y if out is None else write_out("linalg.vector_norm", y, out)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,
                dtype=None, out=None) -> Tensor:
    """The ``ord``-norm of the matrices of A in its dims ``dim`` (``torch.linalg.matrix_norm``):
    'fro', 1, -1, inf or -inf."""
    y = _matrix_norm(A, ord, dim, keepdim, dtype)
    return y if out is None else write_out("linalg.matrix_norm", y, out)


def _matrix_norm(A: Tensor, ord, dim, keepdim: bool, dtype) -> Tensor:
    op = "linalg.matrix_norm"
    if A.ndim < 2:
        raise ShapeError(f"{op}: expected a tensor with at least 2 dimensions, got shape "
                         f"{tuple(A.shape)}")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ShapeError(f"{op}: dim must be a 2-tuple, got {dim!r}")
    rows, cols = (normalize_dim(d, A.ndim, op) for d in dim)
    if rows == cols:
        raise ShapeError(f"{op}: dims {tuple(dim)} name the same dimension twice")
    A = A if dtype is None else A.to(dtype)
    require_float(op, A)
    if ord == "fro":
        return _p_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf) and not isinstance(ord, bool):
        # 1: the largest column sum (sum over the rows); inf: the largest row sum
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = _sum(abs(A), summed, keepdim=True)
        y = (amax if ord > 0 else amin)(sums, over, keepdim=True)
        kept = tuple(n for i, n in enumerate(y.shape) if i not in (rows, cols))
        return y if keepdim else reshape(y, kept)
    if ord in ("nuc", 2, -2):
        raise ConfigError(f"{op}: ord={ord!r} needs singular values, which minidl does not "
                          "compute; use 'fro', 1, -1, inf or -inf")
    raise ConfigError(f"{op}: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None,
         dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm when ``dim`` is an int (or A is 1-D), a matrix norm
    when ``dim`` is a 2-tuple (or A is 2-D); with ``ord=None``, the 2-norm of every element
    (flattened) or 'fro'."""
    if isinstance(dim, int) or (dim is None and ord is not None and A.ndim == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if dim is None:
        if A.ndim != 2:
            raise ShapeError(f"linalg.norm: with ord={ord!r} and no dim, A must be 1-D or 2-D, "
                             f"got shape {tuple(A.shape)}")
        dim = (-2, -1)
    if isinstance(dim, (tuple, list)) and len(dim) == 1:
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
