"""Division that rounds, as PyTorch and Python do it: ``x // y`` (floor division), ``x % y``
(the remainder, with the sign of y) and ``x.div(y, rounding_mode="floor" | "trunc")``.

Rounded quotients are piecewise constant: their derivative is 0 wherever it exists, and that is
what their backward returns (PyTorch refuses to differentiate floor division instead). The
remainder is composed, x % y = x - (x // y) * y, which gives PyTorch's gradients: 1 for x and
-(x // y) for y. Integer operands give exact integer results; operands are promoted as for
arithmetic (``minidl/ops/operands.py``), so ``int_tensor // 2`` stays an integer tensor.

Read next: ``reduce.py`` (sum, mean, var, max, min).
"""
from __future__ import annotations

from minidl import backend
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.operands import binary_operands
from minidl.tensor import Tensor


def _zeros_like(gy: Tensor) -> Tensor:
    return Tensor._make(backend.get_array_module(gy._array).zeros_like(gy._array), False)


class FloorDivide(Function):
    """y = floor(x0 / x1);  dy/dx0 = 0, dy/dx1 = 0  (the steps are flat)"""

    @staticmethod
    def forward(ctx, x0, x1):
        return backend.get_array_module(x0).floor_divide(x0, x1)

    @staticmethod
    def backward(ctx, gy):
        return _zeros_like(gy), _zeros_like(gy)


class TruncDivide(Function):
    """y = x0 / x1 rounded toward 0;  dy/dx0 = 0, dy/dx1 = 0  (the steps are flat)"""

    @staticmethod
    def forward(ctx, x0, x1):
        xp = backend.get_array_module(x0)
        if x0.dtype.kind == "f":
            return xp.trunc(x0 / x1)
        q = xp.floor_divide(x0, x1)  # integers: floor is one below trunc where the quotient is
        return q + ((q < 0) & (q * x1 != x0))  # negative and not whole

    @staticmethod
    def backward(ctx, gy):
        return _zeros_like(gy), _zeros_like(gy)


def _operands(op: str, a, b):
    a, b = binary_operands(a, b)
    if a.dtype.kind == "b":
        raise DTypeError(f"{op}: not defined for two bool operands")
    return a, b


def floor_divide(a, b, *, out=None) -> Tensor:
    """``a // b``: the quotient rounded down (-7 // 2 == -4), as Python and PyTorch do."""
    y = FloorDivide.apply(*_operands("floor_divide", a, b))
    return y if out is None else write_out("floor_divide", y, out)


def trunc_divide(a, b) -> Tensor:
    """The quotient rounded toward zero (-7 / 2 -> -3): ``div(a, b, rounding_mode="trunc")``."""
    return TruncDivide.apply(*_operands("div", a, b))


def remainder(a, b, *, out=None) -> Tensor:
    """``a % b`` = a - (a // b) * b: the sign of b, as Python's % (``torch.remainder``)."""
    a, b = _operands("remainder", a, b)
    y = a - FloorDivide.apply(a, b) * b
    return y if out is None else write_out("remainder", y, out)
