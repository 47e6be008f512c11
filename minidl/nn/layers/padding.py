"""Padding layers (no parameters): ZeroPad1d/2d, ConstantPad1d/2d, ReflectionPad1d/2d,
ReplicationPad1d/2d and CircularPad1d/2d, PyTorch's ``torch.nn`` padding modules.

Each holds a padding tuple, ``(left, right)`` for the 1-D layers and
``(left, right, top, bottom)`` for the 2-D ones (an int pads every side alike), and calls
``minidl.pad`` (``minidl/ops/shape.py``; the modes are in ``minidl/ops/pad_modes.py``):

    constant    x extended by ``value``                 1 2 3  ->  v 1 2 3 v
    reflect     mirrored without repeating the edge     1 2 3  ->  2 1 2 3 2
    replicate   the edge value repeated                 1 2 3  ->  1 1 2 3 3
    circular    wrapped around                          1 2 3  ->  3 1 2 3 1

Negative widths crop, as in PyTorch. The gradient is pad's: each output position sends its
gradient back to the input element it was copied from.

Read next: ``distance.py`` (CosineSimilarity, PairwiseDistance).
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

from minidl.config_checks import ConfigTypeError, check_finite, is_int
from minidl.errors import ConfigError
from minidl.nn.module import Module
from minidl.ops import pad
from minidl.tensor import Tensor


def padding_tuple(owner: str, padding: Union[int, Sequence[int]], sides: int) -> Tuple[int, ...]:
    """``padding`` as a tuple of ``sides`` ints: an int is repeated on every side."""
    if is_int(padding):
        return (int(padding),) * sides
    if not isinstance(padding, (tuple, list)) or not all(is_int(p) for p in padding):
        raise ConfigTypeError(f"{owner}: padding must be an int or a tuple of {sides} ints, got "
                              f"{padding!r}")
    if len(padding) != sides:
        raise ConfigError(f"{owner}: padding must have {sides} entries, got {len(padding)} "
                          f"({tuple(padding)})")
    return tuple(int(p) for p in padding)


class _Pad(Module):
    """A padding layer: ``mode``, the number of padded dims, and the padding tuple."""

    mode = "constant"
    dims = 1

    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__()
        self.padding = padding_tuple(type(self).__name__, padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding: Union[int, Sequence[int]], value: float):
        super().__init__(padding)
        self.value = check_finite(type(self).__name__, "value", value)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pad the last dim of (C, W) or (N, C, W) with ``value``."""


class ConstantPad2d(_ConstantPad):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) with ``value``."""

    dims = 2


class ZeroPad1d(_ConstantPad):
    """Pad the last dim with zeros."""

    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros."""

    dims = 2


class ReflectionPad1d(_Pad):
    """Mirror the last dim at its edges (each width below that dim's size)."""

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    dims = 2


class ReplicationPad1d(_Pad):
    """Repeat the edge values of the last dim."""

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    dims = 2


class CircularPad1d(_Pad):
    """Wrap the last dim around (periodic boundary)."""

    mode = "circular"


class CircularPad2d(CircularPad1d):
    dims = 2
