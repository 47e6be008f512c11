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

from minidl.dtypes import get_default_dtype, int64
from minidl.errors import ConfigError, DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.compare import where
from minidl.ops.dims import check_broadcast
from minidl.ops.division import floor_divide, trunc_divide
from minidl.ops.operands import arithmetic_operands, binary_operands
from minidl.ops.unary import log
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


class PowTensor(Function):
    """y = x0^x1;  dy/dx0 = x1 x0^(x1 - 1), dy/dx1 = y log(x0)

    with PyTorch's values where these give 0 * inf = NaN: dy/dx0 = 0 where x0 = x1 = 0 (x^0 = 1
    is flat in x, also at x = 0), dy/dx1 = 0 where x0 = 0 and x1 >= 0. A negative base gives
    NaN for dy/dx1 (log x0 is not real), as in PyTorch."""

    @staticmethod
    def forward(ctx, x0, x1):
        y = x0 ** x1
        ctx.save_for_backward(x0, x1, y if ctx.needs_input_grad[1] else None)  # y for dy/dx1
        return y

    @staticmethod
    def backward(ctx, gy):
        x0, x1, y = ctx.saved_tensors
        gx0 = gx1 = None
        # Where masked, the formula's input is replaced too (x0 -> 1): no inf enters the graph,
        # so no NaN comes back through the masked branch in a second derivative.
        if ctx.needs_input_grad[0]:
            # Only 0^0 is masked, not every x1 = 0 as in PyTorch, whose rule is then wrong in
            # d/dx1 (its own gradgradcheck fails there): d/dx1 (x1 x0^(x1 - 1)) = 1/x0 at x1 = 0.
            flat = (x0 == 0) & (x1 == 0)
            gx0 = where(flat, 0.0, gy * x1 * where(flat, 1.0, x0) ** (x1 - 1))
        if ctx.needs_input_grad[1]:
            flat = (x0 == 0) & (x1 >= 0)
            gx1 = gy * where(flat, 0.0, y * log(where(flat, 1.0, x0)))
        return gx0, gx1


def _reject_bool(op: str, *operands) -> None:
    for t in operands:
        if isinstance(t, Tensor) and t.dtype.kind == "b":
            raise DTypeError(f"{op}: not supported for bool tensors; convert with .long() or "
                             ".float() first")


# ``out=`` (PyTorch's: the result is copied into ``out``, which is returned) is handled by
# ``write_out`` in ``arguments.py``; ``alpha`` scales the second operand, as in PyTorch.
def add(a, b, *, alpha=1, out=None) -> Tensor:
    a, b = arithmetic_operands(a, b if alpha == 1 else b * alpha)
    y = Add.apply(a, b)
    return y if out is None else write_out("add", y, out)


def sub(a, b, *, alpha=1, out=None) -> Tensor:
    a, b = arithmetic_operands(a, b if alpha == 1 else b * alpha)
    if (a if isinstance(a, Tensor) else b)._array.dtype.kind == "b":  # one dtype for both now
        _reject_bool("sub", a, b)
    y = Sub.apply(a, b)
    return y if out is None else write_out("sub", y, out)


def mul(a, b, *, out=None) -> Tensor:
    a, b = arithmetic_operands(a, b)
    y = Mul.apply(a, b)
    return y if out is None else write_out("mul", y, out)


def div(a, b, *, rounding_mode=None, out=None) -> Tensor:
    """True division; integer tensors divide into the default dtype (float32 unless
    ``set_default_dtype`` changed it), as in PyTorch. ``rounding_mode="floor"`` is ``//``,
    ``"trunc"`` rounds toward 0 (both keep integer dtypes, with a zero gradient)."""
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ConfigError(f"div: rounding_mode must be None, 'floor' or 'trunc', got "
                              f"{rounding_mode!r}")
        y = (floor_divide if rounding_mode == "floor" else trunc_divide)(a, b)
        return y if out is None else write_out("div", y, out)
    a, b = arithmetic_operands(a, b)
    tensor = a if isinstance(a, Tensor) else b
    if tensor.dtype.kind != "f":
        dtype = get_default_dtype()
        return div(a.to(dtype) if isinstance(a, Tensor) else float(a),
                   b.to(dtype) if isinstance(b, Tensor) else float(b), out=out)
    y = Div.apply(a, b)
    return y if out is None else write_out("div", y, out)


def neg(x: Tensor, *, out=None) -> Tensor:
    if not isinstance(x, Tensor) or x._array.dtype.kind == "b":
        _reject_bool("neg", x)
    y = Neg.apply(x)
    return y if out is None else write_out("neg", y, out)


def pow(base, exponent, *, out=None) -> Tensor:
    """``base ** exponent`` with PyTorch's dtypes: a constant exponent uses ``Pow``, a Tensor
    exponent ``PowTensor``. Integers stay integers and exact (``11 ** 7 == 19487171``); an
    integer raised to a negative integer power is refused, as in PyTorch, rather than
    rounded. (PyTorch refuses it for a constant exponent and truncates to an integer for a
    tensor exponent; minidl refuses both.)"""
    if isinstance(base, Tensor) and isinstance(exponent, (numbers.Number, np.generic)) and (
            not isinstance(exponent, bool)):
        if base.dtype.kind != "f":
            if isinstance(exponent, (float, np.floating)):
                base = base.to(get_default_dtype())  # int ** 0.5 is float32, as in PyTorch
            elif exponent < 0:
                _reject_negative_power(base, exponent)
            elif base.dtype.kind == "b":
                base = base.to(int64)  # bool ** 2 is int64, as in PyTorch
        y = Pow.apply(base, exponent.item() if isinstance(exponent, np.generic) else exponent)
        return y if out is None else write_out("pow", y, out)
    base, exponent = binary_operands(base, exponent)
    check_broadcast("pow", base.shape, exponent.shape)  # (else PowTensor would be named)
    if base.dtype.kind == "b":  # both are bool now
        _reject_bool("pow", base)
    if exponent.dtype.kind in "iu" and bool((exponent._array < 0).any()):
        _reject_negative_power(base, exponent)
    y = PowTensor.apply(base, exponent)
    return y if out is None else write_out("pow", y, out)


def _reject_negative_power(base: Tensor, exponent) -> None:
    if isinstance(exponent, Tensor):
        exponent = exponent.min().item()
    raise DTypeError(f"pow: integers to negative integer powers are not allowed ({base.dtype} "
                     f"base, exponent {exponent}); convert the base first (e.g. .float())")
