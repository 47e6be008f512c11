"""A Tensor's named methods, under PyTorch's names (``Tensor`` inherits them).

``x.exp()``, ``x.sum(dim)``, ``x.view_as(y)``, ``x.float()``, ... Each is one call of a function
from ``minidl/ops``, where the forward and backward rules live; the methods only spell it as
PyTorch does, so ``x.add(y)`` is ``x + y`` and ``x.eq(y)`` is ``x == y``. Like PyTorch they accept
``axis=``/``keepdims=`` (NumPy's names) for ``dim=``/``keepdim=`` where a dim is reduced over.
The operators themselves (``+``, ``@``, ``&``, ...) are in ``minidl/tensor.py``.

Read next: ``minidl/tensor_methods_math.py`` (more of them: elementwise math).
"""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import numpy as np

# The package itself: the ops are looked up through it when a method runs. They cannot be
# imported here: they import Tensor, which inherits the class below (as in inplace.py).
import minidl
from minidl import backend
from minidl.errors import DTypeError, ShapeError

if TYPE_CHECKING:  # for the annotations only: tensor.py imports this module
    from minidl.tensor import Tensor

# PyTorch's legacy type names (``x.type()``), by dtype
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_DTYPE_OF_TYPE_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


class TensorMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()

    # -- arithmetic -------------------------------------------------------------------------
    def add(self, other, *, alpha=1) -> Tensor:
        """self + alpha * other"""
        return minidl.ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1) -> Tensor:
        """self - alpha * other"""
        return minidl.ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other) -> Tensor: return minidl.ops.mul(self, other)

    def div(self, other, *, rounding_mode=None) -> Tensor:
        """self / other; ``rounding_mode="floor"`` is ``//``, ``"trunc"`` rounds toward 0."""
        return minidl.ops.div(self, other, rounding_mode=rounding_mode)

    def remainder(self, other) -> Tensor: return minidl.ops.remainder(self, other)
    def floor_divide(self, other) -> Tensor: return minidl.ops.floor_divide(self, other)
    def neg(self) -> Tensor: return minidl.ops.neg(self)
    def pow(self, exponent) -> Tensor: return minidl.ops.pow(self, exponent)
    def matmul(self, other) -> Tensor: return minidl.ops.matmul(self, other)
    def mm(self, other) -> Tensor: return minidl.ops.mm(self, other)
    def dot(self, other) -> Tensor: return minidl.ops.dot(self, other)
    def square(self) -> Tensor: return minidl.ops.square(self)

    # -- comparisons (bool results, no gradient) ---------------------------------------------
    def eq(self, other) -> Tensor: return minidl.ops.compare("eq", self, other)
    def ne(self, other) -> Tensor: return minidl.ops.compare("ne", self, other)
    def lt(self, other) -> Tensor: return minidl.ops.compare("lt", self, other)
    def le(self, other) -> Tensor: return minidl.ops.compare("le", self, other)
    def gt(self, other) -> Tensor: return minidl.ops.compare("gt", self, other)
    def ge(self, other) -> Tensor: return minidl.ops.compare("ge", self, other)
    def isfinite(self) -> Tensor: return minidl.ops.isfinite(self)
    def isnan(self) -> Tensor: return minidl.ops.isnan(self)
    def isinf(self) -> Tensor: return minidl.ops.isinf(self)

    def equal(self, other) -> bool:
        """True if both tensors have the same shape and elements (``torch.equal``)."""
        return self.shape == other.shape and bool((self == other).all())

    # -- elementwise ---------------------------------------------------------------------------
    def exp(self) -> Tensor: return minidl.ops.exp(self)
    def expm1(self) -> Tensor: return minidl.ops.expm1(self)
    def log(self) -> Tensor: return minidl.ops.log(self)
    def log1p(self) -> Tensor: return minidl.ops.log1p(self)
    def sqrt(self) -> Tensor: return minidl.ops.sqrt(self)
    def rsqrt(self) -> Tensor: return minidl.ops.rsqrt(self)
    def abs(self) -> Tensor: return minidl.ops.abs(self)
    def sin(self) -> Tensor: return minidl.ops.sin(self)
    def cos(self) -> Tensor: return minidl.ops.cos(self)
    def tanh(self) -> Tensor: return minidl.ops.tanh(self)
    def sigmoid(self) -> Tensor: return minidl.ops.sigmoid(self)
    def relu(self) -> Tensor: return minidl.ops.relu(self)
    def erf(self) -> Tensor: return minidl.ops.erf(self)
    def sign(self) -> Tensor: return minidl.ops.sign(self)
    def maximum(self, other) -> Tensor: return minidl.ops.maximum(self, other)
    def minimum(self, other) -> Tensor: return minidl.ops.minimum(self, other)
    def clamp(self, min=None, max=None) -> Tensor: return minidl.ops.clamp(self, min, max)
    def clip(self, min=None, max=None) -> Tensor: return minidl.ops.clamp(self, min, max)

    def where(self, condition, other) -> Tensor:
        """``self`` where ``condition``, else ``other``: ``where(condition, self, other)``."""
        return minidl.ops.where(condition, self, other)

    # -- reductions ----------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None) -> Tensor:
        return minidl.ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                              keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None) -> Tensor:
        return minidl.ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                              keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return minidl.ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return minidl.ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        return minidl.ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None,
             keepdims=None) -> Tensor:
        return minidl.ops.norm(self, p, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        dim = minidl.ops.arguments.dim_alias("logsumexp", dim, axis)
        keepdim = minidl.ops.arguments.keepdim_alias(keepdim, keepdims)
        return minidl.ops.logsumexp(self, dim, keepdim)

    def softmax(self, dim=None, dtype=None, *, axis=None) -> Tensor:
        dim = minidl.ops.arguments.dim_alias("softmax", dim, axis)
        return minidl.ops.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim=None, dtype=None, *, axis=None) -> Tensor:
        dim = minidl.ops.arguments.dim_alias("log_softmax", dim, axis)
        return minidl.ops.log_softmax(self, dim, dtype=dtype)

    # -- shape -------------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor: return minidl.ops.reshape(self, *shape)
    def view(self, *shape) -> Tensor:
        """A view of another shape, or, given a dtype, the same bytes read as that dtype
        (``minidl/ops/bitcast.py``)."""
        if len(shape) == 1 and isinstance(shape[0], (np.dtype, type)):
            return minidl.ops.view_dtype(self, shape[0])
        y = minidl.ops.reshape(self, *shape)
        x = self._array
        # A view shares memory; where the strides allow none (after a transpose, say), reshape
        # copied, and PyTorch's view refuses: so does minidl (contiguous memory always views).
        if not x.flags.c_contiguous and x.size and not backend.get_array_module(
                x).may_share_memory(x, y._array):
            raise ShapeError(
                f"view: the shape {tuple(y.shape)} is not compatible with the tensor's shape "
                f"{tuple(self.shape)} and strides {tuple(s // x.itemsize for s in x.strides)} "
                "(it is not contiguous, e.g. after a transpose): no view can show it; use "
                ".reshape(...), which copies when it must, or .contiguous().view(...)")
        return y

    def reshape_as(self, other) -> Tensor: return minidl.ops.reshape(self, other.shape)
    def view_as(self, other) -> Tensor: return self.view(other.shape)
    def expand(self, *sizes) -> Tensor: return minidl.ops.expand(self, *sizes)
    def expand_as(self, other) -> Tensor: return minidl.ops.broadcast_to(self, other.shape)
    def broadcast_to(self, shape) -> Tensor: return minidl.ops.broadcast_to(self, shape)
    def sum_to(self, shape) -> Tensor: return minidl.ops.sum_to(self, shape)
    def permute(self, *dims) -> Tensor: return minidl.ops.permute(self, *dims)
    def transpose(self, dim0, dim1) -> Tensor: return minidl.ops.transpose(self, dim0, dim1)
    def t(self) -> Tensor: return minidl.ops.t(self)
    def squeeze(self, dim=None) -> Tensor: return minidl.ops.squeeze(self, dim)
    def unsqueeze(self, dim) -> Tensor: return minidl.ops.unsqueeze(self, dim)
    def split(self, split_size, dim=0) -> tuple: return minidl.ops.split(self, split_size, dim)
    def chunk(self, chunks, dim=0) -> tuple: return minidl.ops.chunk(self, chunks, dim)
    def clone(self, *, memory_format=None) -> Tensor: return minidl.ops.clone(self)

    def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
        return minidl.ops.flatten(self, start_dim, end_dim)

    def contiguous(self, memory_format=None) -> Tensor:
        """This tensor if its elements are in C order in memory, else a copy that is (in the
        graph: gradients flow through it), as in PyTorch."""
        return self if self._array.flags.c_contiguous else minidl.ops.clone(self)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._array.flags.c_contiguous)

    # -- dtype conversions: differentiable between floating-point dtypes, as ``to`` ----------
    def float(self) -> Tensor: return self.to(np.float32)
    def double(self) -> Tensor: return self.to(np.float64)
    def half(self) -> Tensor: return self.to(np.float16)
    def long(self) -> Tensor: return self.to(np.int64)
    def int(self) -> Tensor: return self.to(np.int32)
    def short(self) -> Tensor: return self.to(np.int16)
    def char(self) -> Tensor: return self.to(np.int8)
    def byte(self) -> Tensor: return self.to(np.uint8)
    def bool(self) -> Tensor: return self.to(np.bool_)
    def type_as(self, other) -> Tensor: return self.to(other.dtype)

    def type(self, dtype=None):
        """Without an argument, PyTorch's type name (``"minidl.FloatTensor"``, with ``cuda.``
        on a GPU); with a dtype (or such a name), the tensor converted to it."""
        if dtype is None:
            on_gpu = "cuda." if self.device.type == "cuda" else ""
            return f"minidl.{on_gpu}{_TYPE_NAMES[self.dtype.name]}"
        if isinstance(dtype, str) and not hasattr(np, dtype):
            name = dtype.rpartition(".")[2]
            if name not in _DTYPE_OF_TYPE_NAME:
                raise DTypeError(f"type: unknown type name {dtype!r}")
            dtype = _DTYPE_OF_TYPE_NAME[name]
        return self.to(np.dtype(dtype))  # (a dtype's name given to .to() would be a device)

    def is_floating_point(self) -> builtins.bool:
        return self._array.dtype.kind == "f"

    def element_size(self) -> builtins.int:
        """Bytes per element."""
        return self._array.itemsize

    def nelement(self) -> builtins.int:
        return builtins.int(self._array.size)

    @property
    def is_cuda(self) -> builtins.bool:
        return backend.device_of(self._array).type == "cuda"
