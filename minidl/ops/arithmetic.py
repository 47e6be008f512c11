"""The arithmetic primitives: + - * / ** and negation, forward and backward side by side.

Each primitive: ``forward`` on arrays, ``backward`` on Tensors, right below it. The operands
arrive already of one dtype (``minidl/ops/operands.py`` made them so). Broadcasting is not undone
here: a gradient with the output's shape is summed back to each input's shape once, in the
engine (``minidl/autograd.py``, ``_fit_gradient``).

The backward rules of Sub, Mul and Neg call ``Mul.apply`` and ``Neg.apply`` where ``gy * x1``
and ``-gy`` would do: their operands already agree in dtype and device, so the operator's dtype
and scalar rules would be work for nothing, in rules that run in every model.

Read next: ``unary.py`` (exp, log, tanh, ...).
"""
from __future__ import annotations

import numbers

import numpy as np

from minidl.dtypes import DEFAULT_DTYPE
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.dims import check_broadcast
from minidl.ops.operands import arithmetic_operands, as_tensor_like, binary_operands
from minidl.ops.unary import exp, log
from minidl.tensor import Tensor


class Add(Function):
    """y = x0 + x1;  dy/dx0 = 1, dy/dx1 = 1"""

    @staticmethod
    def forward(ctx, x0, x1):
        return x0 + x1

    @staticmethod
    def backward(ctx, gy):
        return gy, gy


class Sub(Function):
    """y = x0 - x1;  dy/dx0 = 1, dy/dx1 = -1"""

    @staticmethod
    def forward(ctx, x0, x1):
        return x0 - x1

    @staticmethod
    def backward(ctx, gy):
        return gy, (Neg.apply(gy) if ctx.needs_input_grad[1] else None)  # -gy


class Mul(Function):
    """y = x0 * x1;  dy/dx0 = x1, dy/dx1 = x0"""

    @staticmethod
    def forward(ctx, x0, x1):
        # Each gradient needs only the other input: keep just what a needed gradient uses
        # (``x * mask`` keeps the mask, not x), as PyTorch does.
        need_x0, need_x1 = ctx.needs_input_grad
        ctx.save_for_backward(x0 if need_x1 else None, x1 if need_x0 else None)
        return x0 * x1

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        gx0 = Mul.apply(gy, x1) if ctx.needs_input_grad[0] else None  # gy * x1
        gx1 = Mul.apply(gy, x0) if ctx.needs_input_grad[1] else None  # gy * x0
        return gx0, gx1


class Div(Function):
    """y = x0 / x1;  dy/dx0 = 1 / x1, dy/dx1 = -x0 / x1^2"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return x0 / x1

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        gx0 = gy / x1 if ctx.needs_input_grad[0] else None
        gx1 = -gy * x0 / (x1 * x1) if ctx.needs_input_grad[1] else None
        return gx0, gx1


class Neg(Function):
    """y = -x;  dy/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, gy):
        return Neg.apply(gy)  # -gy


class Pow(Function):
    """y = x^c for a constant c;  dy/dx = c * x^(c-1)"""

    @staticmethod
    def forward(ctx, x, c):
        ctx.save_for_backward(x)
        ctx.c = c
        return x ** c

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        if ctx.c == 0:  # x^0 = 1 has derivative 0 everywhere, also at x = 0 (not 0 * 0^-1 = NaN)
            return gy * 0, None
        return gy * (ctx.c * x ** (ctx.c - 1)), None


def _reject_bool(op: str, *operands) -> None:
    for t in operands:
        if isinstance(t, Tensor) and t.dtype.kind == "b":
            raise DTypeError(f"{op}: not supported for bool tensors; convert with .long() or "
                             ".float() first")


def add(a, b) -> Tensor:
    a, b = arithmetic_operands(a, b)
    return Add.apply(a, b)


def sub(a, b) -> Tensor:
    a, b = arithmetic_operands(a, b)
    if (a if isinstance(a, Tensor) else b)._array.dtype.kind == "b":  # one dtype for both now
        _reject_bool("sub", a, b)
    return Sub.apply(a, b)


def mul(a, b) -> Tensor:
    a, b = arithmetic_operands(a, b)
    return Mul.apply(a, b)


def div(a, b) -> Tensor:
    """True division; integer tensors divide into float32, as in PyTorch."""
    a, b = arithmetic_operands(a, b)
    tensor = a if isinstance(a, Tensor) else b
    if tensor.dtype.kind != "f":
        return div(a.to(DEFAULT_DTYPE) if isinstance(a, Tensor) else float(a),
                   b.to(DEFAULT_DTYPE) if isinstance(b, Tensor) else float(b))
    return Div.apply(a, b)


def neg(x: Tensor) -> Tensor:
    if not isinstance(x, Tensor) or x._array.dtype.kind == "b":
        _reject_bool("neg", x)
    return Neg.apply(x)


def pow(base, exponent) -> Tensor:
    """``base ** exponent``. A constant exponent uses ``Pow``; a Tensor exponent is composed as
    exp(exponent * log(base)), which needs base > 0."""
    if isinstance(base, Tensor) and not isinstance(exponent, Tensor):
        if isinstance(exponent, (numbers.Number, np.generic)) and not isinstance(exponent, bool):
            if base.dtype.kind != "f" and (exponent < 0 or isinstance(exponent, float)):
                base = base.to(DEFAULT_DTYPE)
            return Pow.apply(base, exponent.item() if isinstance(exponent, np.generic)
                             else exponent)
        exponent = as_tensor_like(exponent, base)
    base, exponent = binary_operands(base, exponent)
    check_broadcast("pow", base.shape, exponent.shape)  # (else Mul would be named)
    return exp(exponent * log(base))
