"""Bitwise operations on integer and bool tensors: ``& | ^ ~ << >>`` and the ``bitwise_*``
functions, as in PyTorch. Their results carry no gradient: the inputs are integers or bools.

On bool tensors ``& | ^ ~`` are the logical operations (``mask & (x > 0)``); on integers they act
on the bits (``5 & 6 == 4``, ``~5 == -6``), never as logical operations; floating-point tensors
raise a ``DTypeError`` (compare first, ``x > 0``, to get a mask). The operands are promoted as
for arithmetic (``minidl/ops/operands.py``): ``bool_tensor & 2`` is an int64 tensor. Shifts
of bools shift them as the integers 0 and 1. Both operands may be tensors or one a Python
number, on either side: ``6 & t`` works as ``t & 6``.

Read next: ``division.py`` (// and %).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.errors import DTypeError
from minidl.ops.arguments import write_out
from minidl.ops.operands import binary_operands
from minidl.tensor import Tensor


def _integer_operand(op: str, x: Tensor) -> None:
    if x.dtype.kind not in "biu":
        raise DTypeError(f"{op}: defined for integer and bool tensors only, got {x.dtype} "
                         "(for a logical operation on numbers, compare first: x > 0)")


def _bitwise(op: str, ufunc: str, a, b, out, shift: bool = False) -> Tensor:
    a, b = binary_operands(a, b)
    _integer_operand(op, a)
    if shift and a.dtype.kind == "b":  # shifting True by 1 gives 2, as in PyTorch
        a, b = a.to(np.int64), b.to(np.int64)
    backend.same_device_or_raise(op, [a._array, b._array])
    xp = backend.get_array_module(a._array)
    y = Tensor._make(xp.asarray(getattr(xp, ufunc)(a._array, b._array)), False)
    return y if out is None else write_out(op, y, out)


def bitwise_and(a, b, *, out=None) -> Tensor:
    """``a & b``: bitwise AND (logical AND for bools)."""
    return _bitwise("bitwise_and", "bitwise_and", a, b, out)


def bitwise_or(a, b, *, out=None) -> Tensor:
    """``a | b``: bitwise OR (logical OR for bools)."""
    return _bitwise("bitwise_or", "bitwise_or", a, b, out)


def bitwise_xor(a, b, *, out=None) -> Tensor:
    """``a ^ b``: bitwise exclusive OR (logical XOR for bools)."""
    return _bitwise("bitwise_xor", "bitwise_xor", a, b, out)


def bitwise_left_shift(a, b, *, out=None) -> Tensor:
    """``a << b``: the bits of a moved b places left (a * 2**b while it fits)."""
    return _bitwise("bitwise_left_shift", "left_shift", a, b, out, shift=True)


def bitwise_right_shift(a, b, *, out=None) -> Tensor:
    """``a >> b``: the bits of a moved b places right (floor(a / 2**b), also for a < 0)."""
    return _bitwise("bitwise_right_shift", "right_shift", a, b, out, shift=True)


def bitwise_not(x: Tensor, *, out=None) -> Tensor:
    """``~x``: every bit flipped (``~5 == -6``); logical NOT for bools."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"bitwise_not: expected a Tensor, got {type(x).__name__}")
    _integer_operand("bitwise_not", x)
    xp = backend.get_array_module(x._array)
    y = Tensor._make(xp.asarray(xp.invert(x._array)), False)
    return y if out is None else write_out("bitwise_not", y, out)
