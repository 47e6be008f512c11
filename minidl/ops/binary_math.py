"""Elementwise functions of two tensors: lerp, logaddexp, copysign, hypot; and the closeness
tests isclose and allclose (bool results, no gradient).

    lerp(a, b, w) = a + w (b - a)          composed: d/da = 1 - w, d/db = w, d/dw = b - a
    logaddexp(a, b) = log(e^a + e^b)       d/da = sigmoid(a - b),  d/db = sigmoid(b - a)
    copysign(a, b) = |a| sign(b)           d/da = sign(a) sign(b) (0 at a = 0),  d/db = 0
    hypot(a, b) = sqrt(a^2 + b^2)          d/da = a / y,  d/db = b / y

logaddexp and hypot are primitives because their compositions overflow (e^1000, or 1e200^2)
where the results are ordinary numbers; NumPy computes them without. Their operands broadcast
and are promoted as for arithmetic (``operands.py``); integer operands give the default
floating-point dtype where PyTorch's results are floats. lerp, like PyTorch's, wants one
floating-point dtype for ``input`` and ``end`` (a 0-d or a number ``weight`` may differ).

Read next: ``bitcast.py`` (``x.view(dtype)``: the same bytes read as another dtype).
"""
from __future__ import annotations

import numbers

import numpy as np

from minidl import backend
from minidl.dtypes import get_default_dtype
from minidl.errors import ConfigError, DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import check_broadcast
from minidl.ops.division import _zeros_like
from minidl.ops.operands import binary_operands
from minidl.ops.unary import sigmoid
from minidl.tensor import Tensor


def _float_operands(op: str, a, b, integers: bool = True):
    """Both operands in one floating-point dtype; integer and bool ones in the default dtype
    if ``integers``, else refused (as PyTorch refuses them)."""
    a, b = binary_operands(a, b)
    if a.dtype.kind != "f":
        if not integers:
            raise DTypeError(f"{op}: expected floating-point tensors, got {a.dtype} (PyTorch "
                             "refuses integer tensors too)")
        a, b = a.to(get_default_dtype()), b.to(get_default_dtype())
    return a, b


# ------------------------------------------------------------------------------ lerp
def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:
    """input + weight * (end - input), elementwise (``torch.lerp``); ``weight`` a number or a
    tensor, all three broadcast together."""
    for what, x in (("input", input), ("end", end)):
        if not isinstance(x, Tensor):
            raise DTypeError(f"lerp: {what} must be a Tensor, got {type(x).__name__}")
    if input.dtype.kind != "f" or end.dtype != input.dtype:
        raise DTypeError(f"lerp: input and end must have one floating-point dtype, got "
                         f"{input.dtype} and {end.dtype}")
    if isinstance(weight, Tensor):
        if weight.dtype.kind != "f" or (weight.ndim and weight.dtype != input.dtype):
            raise DTypeError(f"lerp: weight must have input's dtype {input.dtype}, got "
                             f"{weight.dtype}")
        check_broadcast("lerp", check_broadcast("lerp", input.shape, end.shape), weight.shape)
    elif isinstance(weight, numbers.Real) and not isinstance(weight, bool):
        check_broadcast("lerp", input.shape, end.shape)
    else:
        raise DTypeError(f"lerp: weight must be a number or a Tensor, got {weight!r}")
    y = input + weight * (end - input)
    return y if out is None else write_out("lerp", y, out)


# ------------------------------------------------------------------------------ logaddexp
class LogAddExp(Function):
    """y = log(exp(x0) + exp(x1));  dy/dx0 = sigmoid(x0 - x1), dy/dx1 = sigmoid(x1 - x0)"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return backend.get_array_module(x0).logaddexp(x0, x1)  # max + log1p(exp(-|x0 - x1|))

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        gx0 = gy * sigmoid(x0 - x1) if ctx.needs_input_grad[0] else None
        gx1 = gy * sigmoid(x1 - x0) if ctx.needs_input_grad[1] else None
        return gx0, gx1


def logaddexp(input, other, *, out=None) -> Tensor:
    """log(exp(input) + exp(other)) without overflow (``torch.logaddexp``)."""
    y = LogAddExp.apply(*_float_operands("logaddexp", input, other, integers=False))
    return y if out is None else write_out("logaddexp", y, out)


# ------------------------------------------------------------------------------ copysign
class Copysign(Function):
    """y = |x0| with the sign of x1;  dy/dx0 = sign(x0) sign(x1) (0 at x0 = 0), dy/dx1 = 0
    The factor is a constant (piecewise, as in abs), so the second derivative is 0."""

    @staticmethod
    def forward(ctx, x0, x1):
        xp = backend.get_array_module(x0)
        y = xp.copysign(x0, x1)
        ctx.save_for_backward(xp.sign(x0) * xp.copysign(xp.ones((), x0.dtype), x1))
        return y

    @staticmethod
    def backward(ctx, gy):
        factor, = ctx.saved_tensors
        gx1 = _zeros_like(gy) if ctx.needs_input_grad[1] else None
        return gy * factor, gx1


def copysign(input, other, *, out=None) -> Tensor:
    """|input| with the sign of ``other`` (``torch.copysign``): -0.0 counts as negative."""
    y = Copysign.apply(*_float_operands("copysign", input, other))
    return y if out is None else write_out("copysign", y, out)


# ------------------------------------------------------------------------------ hypot
class Hypot(Function):
    """y = sqrt(x0^2 + x1^2);  dy/dx0 = x0 / y, dy/dx1 = x1 / y"""

    @staticmethod
    def forward(ctx, x0, x1):
        y = backend.get_array_module(x0).hypot(x0, x1)
        ctx.save_for_backward(x0, x1, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x0, x1, y = ctx.saved_tensors
        g = gy / y
        return g * x0, g * x1


def hypot(input, other, *, out=None) -> Tensor:
    """sqrt(input^2 + other^2) without overflow (``torch.hypot``)."""
    y = Hypot.apply(*_float_operands("hypot", input, other, integers=False))
    return y if out is None else write_out("hypot", y, out)


# ------------------------------------------------------------------------------ closeness
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """True where |input - other| <= atol + rtol |other|, or where both are equal (infinities
    of one sign too); NaNs are close to each other only with ``equal_nan`` (``torch.isclose``).
    Both must be Tensors of one dtype, as in PyTorch."""
    for what, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise DTypeError(f"isclose: {what} must be a Tensor, got {type(x).__name__}")
    if input.dtype != other.dtype:
        raise DTypeError(f"isclose: input and other must have one dtype, got {input.dtype} "
                         f"and {other.dtype}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not isinstance(tol, numbers.Real) or not tol >= 0:
            raise ConfigError(f"isclose: {name} must be a number >= 0, got {tol!r}")
    check_broadcast("isclose", input.shape, other.shape)
    backend.same_device_or_raise("isclose", [input._array, other._array])
    xp = backend.get_array_module(input._array)
    a, b = input._array, other._array
    if a.dtype.kind == "b":  # (NumPy cannot subtract bools; PyTorch compares them as ints)
        a, b = a.astype(np.int64), b.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._make(xp.asarray(close), False)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere: a Python bool (``torch.allclose``)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())
