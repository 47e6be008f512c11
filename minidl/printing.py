"""How a tensor prints: ``repr(t)`` and ``print(t)`` give what PyTorch gives for the same values.

    tensor([0.6370, 1.0000])                  floats: 4 decimals, one width for all elements
    tensor([1., 2.])                          floats that are all whole numbers: "1."
    tensor([1.0000e-05, 1.0000e+03])          scientific notation when the values span a
                                              ratio above 1000, pass 1e8, or (not all whole)
                                              go below 1e-4
    tensor([1, 2]), tensor([ True, False])    integers and bools as Python writes them
    tensor([1., 2.], dtype=minidl.float64, requires_grad=True)
    tensor(2., grad_fn=<MulBackward0>)

The suffixes: ``device=`` off the CPU; ``dtype=`` unless float32 (the default dtype), int64 or
bool, which the values themselves show (empty tensors always name a dtype other than the
default, and a ``size=`` other than ``(0,)``); then ``grad_fn=`` or ``requires_grad=True``.
Tensors of more than 1000 elements show their first and last 3 rows along each dimension.
Nested rows are indented under the opening bracket, and lines wrap at 80 columns, as in
PyTorch. ``set_printoptions`` changes these numbers.

Read next: ``minidl/cuda.py`` (``minidl.cuda``: is there a GPU?).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, List, Optional

import numpy as np

from minidl import backend
from minidl.dtypes import get_default_dtype

if TYPE_CHECKING:  # for the annotations only: tensor.py imports this module
    from minidl.tensor import Tensor


class _Options:
    precision = 4  # digits after the point
    threshold = 1000  # more elements than this: summarize
    edgeitems = 3  # rows shown at each end of a summarized dimension
    linewidth = 80
    sci_mode: Optional[bool] = None  # None: decide from the values


def set_printoptions(precision: Optional[int] = None, threshold: Optional[int] = None,
                     edgeitems: Optional[int] = None, linewidth: Optional[int] = None,
                     sci_mode: Optional[bool] = None) -> None:
    """Change how tensors print (``torch.set_printoptions``); arguments left None are kept,
    except ``sci_mode``, where None means "decide from the values"."""
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_Options, name, value)
    _Options.sci_mode = sci_mode


class _ElementFormat:
    """How every element of one tensor is written: one notation and one width for all, decided
    from the values shown (the nonzero finite ones, for floats)."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.whole = True  # floats that are all whole numbers print as "2."
        self.scientific = False
        self.width = 1
        if not self.floating:
            self.width = max([len(str(v)) for v in values.tolist()], default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitudes = np.abs(shown)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.whole = bool(np.all(shown == np.ceil(shown)))
        self.scientific = largest / smallest > 1000.0 or largest > 1.0e8 or (
            not self.whole and smallest < 1.0e-4)
        if _Options.sci_mode is not None:
            self.scientific = _Options.sci_mode
        self.width = max(len(self.text(v)) for v in shown.tolist())

    def text(self, value) -> str:
        """One element, unpadded."""
        if not self.floating:
            return str(value)
        if self.scientific:
            return f"{value:.{_Options.precision}e}"
        if self.whole:  # the point says "float" ("2." not "2"); nan and inf need none
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{_Options.precision}f}"

    def __call__(self, value) -> str:
        return self.text(value).rjust(self.width)


def _edges(array: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: the first and last ``edgeitems`` along every
    dimension longer than twice that."""
    n = _Options.edgeitems
    for axis, size in enumerate(array.shape):
        if size > 2 * n:
            array = np.take(array, list(range(n)) + list(range(size - n, size)), axis)
    return array


def _rows(array: np.ndarray, summarize: bool) -> List:
    """The indices of ``array``'s first dimension to print, "..." standing for those left out."""
    n, size = _Options.edgeitems, array.shape[0]
    if summarize and size > 2 * n:
        return list(range(n)) + ["..."] + list(range(size - n, size))
    return list(range(size))


def _body(array: np.ndarray, fmt: _ElementFormat, indent: int, summarize: bool) -> str:
    """The nested brackets, as PyTorch lays them out: the elements of a vector wrapped to the
    line width, each deeper dimension one column further in, blank lines between blocks."""
    if array.ndim == 0:
        return fmt(array.item())
    if array.ndim == 1:
        per_line = max(1, (_Options.linewidth - indent) // (fmt.width + 2))
        items = [" ..." if i == "..." else fmt(array[i].item())
                 for i in _rows(array, summarize)]
        lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    blocks = ["..." if i == "..." else _body(array[i], fmt, indent + 1, summarize)
              for i in _rows(array, summarize)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(blocks) + "]"


def _dtype_name(dtype: np.dtype) -> str:
    return f"minidl.{dtype}"


def tensor_repr(t: Tensor) -> str:
    """``repr(t)``: ``tensor(`` + the values + the suffixes that apply + ``)``."""
    prefix = "tensor("
    indent = len(prefix)
    array = backend.to_host(t._array)
    suffixes = []
    if t.device != "cpu":
        suffixes.append(f"device='{t.device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != get_default_dtype():
            suffixes.append(f"dtype={_dtype_name(array.dtype)}")
    else:
        if array.dtype not in (get_default_dtype(), np.int64, np.bool_):
            suffixes.append(f"dtype={_dtype_name(array.dtype)}")
        summarize = array.size > _Options.threshold
        fmt = _ElementFormat((_edges(array) if summarize else array).reshape(-1))
        body = _body(array, fmt, indent, summarize)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent) + ")"


def _with_suffixes(text: str, suffixes: List[str], indent: int) -> str:
    """Append ``, suffix`` to the last line while it fits the line width, else start a new
    line, indented like the values."""
    line_length = len(text) - text.rfind("\n") + 1  # (PyTorch counts the same way)
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _Options.linewidth:
            text += ",\n" + " " * indent + suffix
            line_length = indent + len(suffix)
        else:
            text += ", " + suffix
            line_length += len(suffix) + 2
    return text
