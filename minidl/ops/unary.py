"""Elementwise functions of one tensor: exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu,
log1p, expm1, sign; rsqrt composed.

Each backward multiplies the incoming gradient by the local derivative, written with Tensor
operations so that it can be differentiated again. Where the derivative is easiest in terms of
the output (exp, sqrt, tanh, sigmoid, expm1), the output is saved instead of recomputed.
log1p(x) and expm1(x) are primitives, not log(1 + x) and exp(x) - 1: for small x, 1 + x rounds
x away (log1p(1e-10) is 1e-10; log(1 + 1e-10) in float32 is 0). The public functions take
PyTorch's ``out=`` (``minidl/ops/arguments.py``).

Read next: ``compare.py`` (maximum, minimum, clamp, where).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.tensor import Tensor


def _float_input(op: str, x: Tensor) -> Tensor:
    """Integer tensors are computed in float32 (``minidl.exp(arange(3))``), as in PyTorch."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x._array.dtype.kind == "f" else x.to(np.float32)


class Exp(Function):
    """y = exp(x);  dy/dx = exp(x) = y"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * y


class Log(Function):
    """y = log(x);  dy/dx = 1 / x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / x


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy / (y * 2)


class Log1p(Function):
    """y = log(1 + x);  dy/dx = 1 / (1 + x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log1p(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x + 1)


class Expm1(Function):
    """y = exp(x) - 1;  dy/dx = exp(x) = y + 1"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * (y + 1)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(backend.get_array_module(x).sign(x))
        return backend.get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, gy):
        sign, = ctx.saved_tensors
        return gy * sign


class Sin(Function):
    """y = sin(x);  dy/dx = cos(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).sin(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * cos(x)


class Cos(Function):
    """y = cos(x);  dy/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).cos(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return -gy * sin(x)


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - tanh(x)^2 = 1 - y^2"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return TanhGrad.apply(y, gy)


class TanhGrad(Function):
    """gx = gy * (1 - y^2), tanh's backward as one op instead of three (``gy * (1 - y * y)``
    composed costs three graph nodes per tanh). Its own derivatives, for double backward:
    d/dy = -2 y gy,  d/dgy = 1 - y^2"""

    @staticmethod
    def forward(ctx, y, gy):
        ctx.save_for_backward(y, gy)
        gy_y2 = gy * y
        gy_y2 *= y
        return gy - gy_y2  # = gy (1 - y^2); NumPy is slower with the scalar 1 than with this

    @staticmethod
    def backward(ctx, ggx):
        y, gy = ctx.saved_tensors
        gy_part = ggx * (1 - y * y) if ctx.needs_input_grad[1] else None
        y_part = ggx * gy * y * -2 if ctx.needs_input_grad[0] else None
        return y_part, gy_part


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y (1 - y)

    Computed as (1 + tanh(x/2)) / 2, which equals the formula above and never overflows."""

    @staticmethod
    def forward(ctx, x):
        xp = backend.get_array_module(x)
        y = xp.tanh(x * 0.5)
        y += 1
        y *= 0.5
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return SigmoidGrad.apply(y, gy)


class SigmoidGrad(Function):
    """gx = gy * y (1 - y), sigmoid's backward as one op (three when composed).
    Its own derivatives, for double backward: d/dy = gy (1 - 2y),  d/dgy = y (1 - y)"""

    @staticmethod
    def forward(ctx, y, gy):
        ctx.save_for_backward(y, gy)
        return gy * (y * (1 - y))

    @staticmethod
    def backward(ctx, ggx):
        y, gy = ctx.saved_tensors
        gy_part = ggx * (y * (1 - y)) if ctx.needs_input_grad[1] else None
        y_part = ggx * gy * (1 - 2 * y) if ctx.needs_input_grad[0] else None
        return y_part, gy_part


class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0 (0 at the kink x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return ReluGrad.apply(y, gy)


class ReluGrad(Function):
    """gx = gy where y > 0, else 0: relu's backward as one op (composed, the bool mask would
    be converted to gy's dtype first, one more full-size array written and read per ReLU;
    here NumPy multiplies by the bool mask directly). The mask is a constant, relu's second
    derivative being 0 wherever it exists, so this is linear in gy: d/dgy = the same mask
    (g_gy = ReluGrad(y, ggx)), and y gets no gradient."""

    @staticmethod
    def forward(ctx, y, gy):
        ctx.save_for_backward(y)
        return gy * (y > 0)  # a bool factor keeps gy's dtype

    @staticmethod
    def backward(ctx, ggx):
        y, = ctx.saved_tensors
        return None, ReluGrad.apply(y, ggx)


class Sign(Function):
    """y = sign(x), -1, 0 or 1;  dy/dx = 0 (everywhere, x = 0 included, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        return backend.get_array_module(x).sign(x)

    @staticmethod
    def backward(ctx, gy):
        # zeros, not gy * 0: a NaN or inf in gy must not leak through a zero derivative
        return Tensor._make(backend.get_array_module(gy._array).zeros_like(gy._array), False)


def exp(x: Tensor, *, out=None) -> Tensor:
    y = Exp.apply(_float_input("exp", x))
    return y if out is None else write_out("exp", y, out)


def log(x: Tensor, *, out=None) -> Tensor:
    y = Log.apply(_float_input("log", x))
    return y if out is None else write_out("log", y, out)


def sqrt(x: Tensor, *, out=None) -> Tensor:
    y = Sqrt.apply(_float_input("sqrt", x))
    return y if out is None else write_out("sqrt", y, out)


def rsqrt(x: Tensor, *, out=None) -> Tensor:
    """1 / sqrt(x), composed (``torch.rsqrt``)."""
    y = 1 / sqrt(x)
    return y if out is None else write_out("rsqrt", y, out)


def log1p(x: Tensor, *, out=None) -> Tensor:
    y = Log1p.apply(_float_input("log1p", x))
    return y if out is None else write_out("log1p", y, out)


def expm1(x: Tensor, *, out=None) -> Tensor:
    y = Expm1.apply(_float_input("expm1", x))
    return y if out is None else write_out("expm1", y, out)


def abs(x: Tensor, *, out=None) -> Tensor:
    if x.dtype.kind != "f":
        xp = backend.get_array_module(x._array)
        y = Tensor._make(xp.asarray(xp.abs(x._array)), False)  # asarray: 0-d stays an array
    else:
        y = Abs.apply(x)
    return y if out is None else write_out("abs", y, out)


def sin(x: Tensor, *, out=None) -> Tensor:
    y = Sin.apply(_float_input("sin", x))
    return y if out is None else write_out("sin", y, out)


def cos(x: Tensor, *, out=None) -> Tensor:
    y = Cos.apply(_float_input("cos", x))
    return y if out is None else write_out("cos", y, out)


def tanh(x: Tensor, *, out=None) -> Tensor:
    y = Tanh.apply(_float_input("tanh", x))
    return y if out is None else write_out("tanh", y, out)


def sigmoid(x: Tensor, *, out=None) -> Tensor:
    y = Sigmoid.apply(_float_input("sigmoid", x))
    return y if out is None else write_out("sigmoid", y, out)


def relu(x: Tensor) -> Tensor:
    return Relu.apply(_float_input("relu", x))


def sign(x: Tensor, *, out=None) -> Tensor:
    """-1, 0 or 1 elementwise, in x's dtype; its gradient is 0 (``Sign``)."""
    if x.dtype.kind == "b":  # (NumPy has no sign for bools; a bool is its own sign)
        y = Tensor._make(x._array.copy(), False)
    else:
        y = Sign.apply(x)
    return y if out is None else write_out("sign", y, out)
