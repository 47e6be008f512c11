"""Elementwise math methods under PyTorch's names: ``x.floor()``, ``x.tan()``,
``x.lerp(end, weight)``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.
(``x.view(dtype)``, the bitcast of ``minidl/ops/bitcast.py``, is reached through ``x.view``
in ``tensor_methods.py``, which also takes shapes.)

Read next: ``minidl/tensor_methods_reduce.py`` (reductions and scans).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

# imported as a module: it imports Tensor, which inherits the class below
import minidl

if TYPE_CHECKING:  # for the annotations only: tensor.py imports this module
    from minidl.tensor import Tensor


class MathMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()

    # -- rounding ------------------------------------------------------------------------------
    def floor(self) -> Tensor: return minidl.ops.floor(self)
    def ceil(self) -> Tensor: return minidl.ops.ceil(self)
    def trunc(self) -> Tensor: return minidl.ops.trunc(self)
    def fix(self) -> Tensor: return minidl.ops.trunc(self)
    def frac(self) -> Tensor: return minidl.ops.frac(self)
    def round(self, decimals: int = 0) -> Tensor: return minidl.ops.round(self, decimals=decimals)
    def fmod(self, other) -> Tensor: return minidl.ops.fmod(self, other)

    # -- trigonometric and hyperbolic ----------------------------------------------------------
    def tan(self) -> Tensor: return minidl.ops.tan(self)
    def asin(self) -> Tensor: return minidl.ops.asin(self)
    def acos(self) -> Tensor: return minidl.ops.acos(self)
    def atan(self) -> Tensor: return minidl.ops.atan(self)
    def atan2(self, other) -> Tensor: return minidl.ops.atan2(self, other)
    def sinh(self) -> Tensor: return minidl.ops.sinh(self)
    def cosh(self) -> Tensor: return minidl.ops.cosh(self)
    def asinh(self) -> Tensor: return minidl.ops.asinh(self)
    def acosh(self) -> Tensor: return minidl.ops.acosh(self)
    def atanh(self) -> Tensor: return minidl.ops.atanh(self)
    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2  # (NumPy's names, in PyTorch too)
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    # -- exponentials, logarithms and the error functions --------------------------------------
    def log2(self) -> Tensor: return minidl.ops.log2(self)
    def log10(self) -> Tensor: return minidl.ops.log10(self)
    def exp2(self) -> Tensor: return minidl.ops.exp2(self)
    def reciprocal(self) -> Tensor: return minidl.ops.reciprocal(self)
    def erfc(self) -> Tensor: return minidl.ops.erfc(self)
    def erfinv(self) -> Tensor: return minidl.ops.erfinv(self)

    # -- two operands --------------------------------------------------------------------------
    def lerp(self, end, weight) -> Tensor: return minidl.ops.lerp(self, end, weight)
    def logaddexp(self, other) -> Tensor: return minidl.ops.logaddexp(self, other)
    def copysign(self, other) -> Tensor: return minidl.ops.copysign(self, other)
    def hypot(self, other) -> Tensor: return minidl.ops.hypot(self, other)

    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return minidl.ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return minidl.ops.allclose(self, other, rtol, atol, equal_nan)
