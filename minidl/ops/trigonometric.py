"""Trigonometric and hyperbolic functions beyond sin, cos and tanh (``unary.py``): tan, the
inverses asin, acos, atan, atan2, and sinh, cosh, asinh, acosh, atanh.

Each is a primitive (NumPy computes the value) whose backward is its derivative written with
Tensor operations, so it can be differentiated again:

    d tan x = 1 + tan^2 x        d asin x = 1 / sqrt(1 - x^2)     d acos x = -1 / sqrt(1 - x^2)
    d atan x = 1 / (1 + x^2)     d sinh x = cosh x                d cosh x = sinh x
    d asinh x = 1 / sqrt(x^2 + 1)   d acosh x = 1 / sqrt(x^2 - 1)   d atanh x = 1 / (1 - x^2)
    atan2(y, x), the angle of the point (x, y):  d/dy = x / (x^2 + y^2),  d/dx = -y / (x^2 + y^2)

Integer and bool inputs are computed in the default floating-point dtype, as in PyTorch.
Outside their domains (asin(2), acosh(0.5), atanh(1)) they give NaN or inf, as in PyTorch.

Read next: ``exp_log.py`` (log2, log10, exp2, erfc, erfinv, logaddexp, ...).
"""
from __future__ import annotations

from minidl import backend
from minidl.dtypes import get_default_dtype
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.operands import binary_operands
from minidl.ops.unary import sqrt
from minidl.tensor import Tensor


def float_input(op: str, x) -> Tensor:
    """``x`` itself if it is a floating-point Tensor; an integer or bool one in the default
    dtype (``minidl.tan(arange(3))`` is float32, as in PyTorch)."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.dtype.kind == "f" else x.to(get_default_dtype())


class Tan(Function):
    """y = tan(x);  dy/dx = 1 + tan(x)^2 = 1 + y^2"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * (1 + y * y)


class Asin(Function):
    """y = asin(x);  dy/dx = 1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arcsin(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / sqrt(1 - x * x)


class Acos(Function):
    """y = acos(x);  dy/dx = -1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arccos(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return -gy / sqrt(1 - x * x)


class Atan(Function):
    """y = atan(x);  dy/dx = 1 / (1 + x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arctan(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (1 + x * x)


class Atan2(Function):
    """y = atan2(x0, x1), the angle of the point (x1, x0);
    dy/dx0 = x1 / (x0^2 + x1^2),  dy/dx1 = -x0 / (x0^2 + x1^2)"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return backend.get_array_module(x0).arctan2(x0, x1)

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        g = gy / (x0 * x0 + x1 * x1)
        return g * x1, -g * x0


class Sinh(Function):
    """y = sinh(x);  dy/dx = cosh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).sinh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * Cosh.apply(x)


class Cosh(Function):
    """y = cosh(x);  dy/dx = sinh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).cosh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * Sinh.apply(x)


class Asinh(Function):
    """y = asinh(x);  dy/dx = 1 / sqrt(x^2 + 1)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arcsinh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / sqrt(x * x + 1)


class Acosh(Function):
    """y = acosh(x);  dy/dx = 1 / sqrt(x^2 - 1)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arccosh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / sqrt(x * x - 1)


class Atanh(Function):
    """y = atanh(x);  dy/dx = 1 / (1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arctanh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (1 - x * x)


def _unary(op: str, function, x, out) -> Tensor:
    y = function.apply(float_input(op, x))
    return y if out is None else write_out(op, y, out)


def tan(x: Tensor, *, out=None) -> Tensor:
    return _unary("tan", Tan, x, out)


def asin(x: Tensor, *, out=None) -> Tensor:
    """The inverse of sin on [-1, 1], in [-pi/2, pi/2] (``torch.asin``, also ``arcsin``)."""
    return _unary("asin", Asin, x, out)


def acos(x: Tensor, *, out=None) -> Tensor:
    """The inverse of cos on [-1, 1], in [0, pi] (``torch.acos``, also ``arccos``)."""
    return _unary("acos", Acos, x, out)


def atan(x: Tensor, *, out=None) -> Tensor:
    """The inverse of tan, in (-pi/2, pi/2) (``torch.atan``, also ``arctan``)."""
    return _unary("atan", Atan, x, out)


def atan2(input, other, *, out=None) -> Tensor:
    """The angle of the point (other, input) in (-pi, pi] (``torch.atan2``, also ``arctan2``):
    atan(input / other), in the right quadrant."""
    a, b = binary_operands(input, other)
    if a.dtype.kind != "f":
        a, b = a.to(get_default_dtype()), b.to(get_default_dtype())
    y = Atan2.apply(a, b)
    return y if out is None else write_out("atan2", y, out)


def sinh(x: Tensor, *, out=None) -> Tensor:
    return _unary("sinh", Sinh, x, out)


def cosh(x: Tensor, *, out=None) -> Tensor:
    return _unary("cosh", Cosh, x, out)


def asinh(x: Tensor, *, out=None) -> Tensor:
    """The inverse of sinh (``torch.asinh``, also ``arcsinh``)."""
    return _unary("asinh", Asinh, x, out)


def acosh(x: Tensor, *, out=None) -> Tensor:
    """The inverse of cosh on [1, inf) (``torch.acosh``, also ``arccosh``)."""
    return _unary("acosh", Acosh, x, out)


def atanh(x: Tensor, *, out=None) -> Tensor:
    """The inverse of tanh on (-1, 1) (``torch.atanh``, also ``arctanh``)."""
    return _unary("atanh", Atanh, x, out)
