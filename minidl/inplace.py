"""A Tensor's in-place methods and version counter (``Tensor`` inherits them).

``x.add_(y)``, ``x += y``, ``x[i] = v``, ``fill_``, ``copy_``, ``clamp_``, ``masked_fill_``
change the array ``x._array`` itself.
Each bumps the version counter: ``_counter``, a one-element list shared by a tensor and its views
(as in PyTorch), created when first needed. A graph node that saved a tensor remembers its
version, and backward refuses to use memory changed since (``Node.saved_tensors``). While a
graph is recorded, a tensor that requires grad cannot be changed in place: minidl records no
in-place ops.

Read next: ``minidl/handles.py`` (what ``register_hook`` returns); ``minidl/node.py`` is where
the versions are checked.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

# The package itself: the ops are looked up through it when a method runs. They cannot be
# imported here: they import Tensor, which inherits the class below.
import minidl
from minidl import backend
from minidl.errors import AutogradError, DTypeError, OutOfRangeError, ShapeError, numpy_message
from minidl.grad_mode import _GradMode

if TYPE_CHECKING:  # for the annotations only: tensor.py imports this module
    from minidl.tensor import Tensor


class InPlaceMethods:
    """Mixed into ``Tensor`` (which holds the ``data`` and ``_counter`` slots)."""

    __slots__ = ()

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (its views' included)."""
        return self._counter[0] if self._counter is not None else 0

    def _shared_counter(self) -> list:
        """The version counter, created on first use, for a view to share or a change to bump."""
        if self._counter is None:
            self._counter = [0]
        return self._counter

    def _begin_inplace(self, op: str) -> None:
        if _GradMode.enabled and self.requires_grad:
            raise AutogradError(
                f"{op}: in-place change of a tensor that requires grad while the graph is being "
                "recorded; use the out-of-place op, or wrap the update in minidl.no_grad()")
        self._shared_counter()[0] += 1

    def _operand_array(self, other):
        if isinstance(other, InPlaceMethods):
            if type(other._array) is not type(self._array) or other.device != self.device:
                raise backend.DeviceError(
                    f"in-place op: the tensor is on {self.device} but the operand is on "
                    f"{other.device}; move it with .to('{self.device}')")
            other = other._array
        return backend.asarray(other, self.dtype, self.device)

    def _inplace_operand(self, other, op: str):
        """``other`` as an array that broadcasts to this tensor's shape, or a ShapeError."""
        if op != "copy_":  # a copy converts, as in PyTorch; arithmetic must not truncate
            minidl.ops.operands.check_inplace_result(op, self, other)
        array = self._operand_array(other)
        if array.shape != self.shape:
            minidl.ops.dims.check_broadcast(op, array.shape, self.shape, onto="in-place target")
        return array

    # `x += y` changes x in place, as in PyTorch (so `w -= lr * w.grad` under no_grad updates the
    # parameter itself). For a non-leaf tensor while a graph is recorded, minidl computes
    # x + y out of place and rebinds the name instead: it does not record in-place ops.
    def __iadd__(self, other): return self._augmented(other, "add_", "__add__")
    def __isub__(self, other): return self._augmented(other, "sub_", "__sub__")
    def __imul__(self, other): return self._augmented(other, "mul_", "__mul__")
    def __itruediv__(self, other): return self._augmented(other, "div_", "__truediv__")

    def _augmented(self, other, inplace: str, out_of_place: str) -> Tensor:
        if _GradMode.enabled and self.requires_grad and self.grad_fn is not None:
            return getattr(self, out_of_place)(other)
        return getattr(self, inplace)(other)

    def add_(self, other, alpha: float = 1) -> Tensor:
        other = self._inplace_operand(other, "add_")
        self._begin_inplace("add_")
        self._array += other * alpha if alpha != 1 else other
        return self

    def sub_(self, other) -> Tensor:
        other = self._inplace_operand(other, "sub_")
        self._begin_inplace("sub_")
        self._array -= other
        return self

    def mul_(self, other) -> Tensor:
        other = self._inplace_operand(other, "mul_")
        self._begin_inplace("mul_")
        self._array *= other
        return self

    def div_(self, other) -> Tensor:
        other = self._inplace_operand(other, "div_")
        self._begin_inplace("div_")
        self._array /= other
        return self

    def fill_(self, value) -> Tensor:
        self._begin_inplace("fill_")
        self._array[...] = value
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src) -> Tensor:
        src = self._inplace_operand(src, "copy_")
        self._begin_inplace("copy_")
        self._array[...] = src
        return self

    def masked_fill_(self, mask, value) -> Tensor:
        """``value`` written where the bool ``mask`` (broadcast to this shape) is True."""
        with minidl.no_grad():  # (the out-of-place op checks mask and value; no graph needed)
            filled = minidl.ops.masking.masked_fill(self, mask, value)
        self._begin_inplace("masked_fill_")
        self._array[...] = filled._array
        return self

    def clamp_(self, min=None, max=None) -> Tensor:
        self._begin_inplace("clamp_")
        backend.get_array_module(self._array).clip(self._array, min, max, out=self._array)
        return self

    def __setitem__(self, key, value) -> None:
        """``x[key] = value``; a key mixing ints and index arrays places its dims as in
        ``x[key]`` (PyTorch's order, ``ops/indexing.py``): ints first, then the arrays."""
        self._begin_inplace("__setitem__")
        key = minidl.ops.index_arrays(key, self._array)
        try:
            value = self._operand_array(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DTypeError(f"__setitem__: cannot assign {value!r} to a tensor of dtype "
                             f"{self.dtype}: {exc}") from None
        try:
            steps = minidl.ops.indexing.split_int_indices(key)
            if steps is None:
                self._array[key] = value
            else:  # x[ints] is a view (ints are basic keys): assign through it
                self._array[steps[0]][steps[1]] = value
        except IndexError as exc:
            raise OutOfRangeError(f"__setitem__: {numpy_message(exc)} (tensor of shape "
                                  f"{tuple(self.shape)}, index {key!r})") from None
        except ValueError as exc:
            raise ShapeError(f"__setitem__: {numpy_message(exc)} (tensor of shape "
                             f"{tuple(self.shape)}, index {key!r})") from None
