"""The Tensor: an array (NumPy or CuPy) plus what autograd needs to know about it.

A Tensor holds

* ``_array``        the raw array (NumPy or CuPy): what the ops compute with. Users reach it
                    through ``numpy()``; ``data`` is, as in PyTorch, a Tensor sharing it;
* ``requires_grad`` whether gradients should flow to it;
* ``grad_fn``       the graph node (``minidl/node.py``) of the op that produced it (None for
                    leaves: tensors the user created);
* ``grad``          the accumulated gradient (a Tensor), filled in by ``backward()``;
* ``_counter``      the version counter, bumped by every in-place change and shared with the
                    tensor's views, so that backward can tell when memory it saved was changed
                    (``minidl/inplace.py``: the in-place methods; None until first needed).

Operators and methods are thin: each calls one function from ``minidl/ops``, where the forward and
backward rules live. The operators are here; the named methods (``x.exp()``, ``x.sum(dim)``,
``x.float()``, ...) are in ``minidl/tensor_methods.py``, and printing in ``minidl/printing.py``.
A shape is a ``Size``: a tuple that prints as ``minidl.Size([64, 1, 28, 28])``.

Python's protocols follow PyTorch's rules: ``float(t)``, ``int(t)`` and ``bool(t)`` take a
one-element tensor; ``operator.index(t)`` (``range(t)``, ``lst[t]``) an integer one;
``f"{loss:.4f}"`` formats a 0-d tensor as its number; ``np.asarray(t)`` is the array itself
(CPU tensors only: a GPU tensor must be copied with ``.cpu()`` first, as in PyTorch).

Read next: ``minidl/function.py`` (what an op is).
"""
from __future__ import annotations

import math
import weakref
from typing import Any, Callable, Optional

import numpy as np

from minidl import backend, printing
from minidl.errors import AutogradError, DeviceError, DTypeError, ShapeError
from minidl.handles import RemovableHandle
from minidl.inplace import InPlaceMethods
from minidl.tensor_methods import TensorMethods
from minidl.tensor_methods_math import MathMethods
from minidl.tensor_methods_reduce import ReductionMethods
from minidl.tensor_methods_shape import ShapeMethods

_new_object = object.__new__


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple of ints that prints as
    ``minidl.Size([64, 1, 28, 28])``; a slice of it is a Size too."""

    __slots__ = ()

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"minidl.Size({list(self)})"


class Tensor(InPlaceMethods, TensorMethods, MathMethods, ReductionMethods, ShapeMethods):
    """An n-dimensional array that can record the operations applied to it. Its in-place
    methods (``add_``, ``x += y``, ``x[i] = v``, ...) and version counter are in
    ``minidl/inplace.py``; its named methods in ``minidl/tensor_methods*.py``."""

    __slots__ = ("_array", "grad", "requires_grad", "grad_fn", "_counter", "_hooks", "name",
                 "__weakref__")
    __array_priority__ = 1000  # make `ndarray * Tensor` call Tensor.__rmul__, not NumPy's loop

    def __init__(self, data: Any, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data._array
        elif type(data) not in backend._BY_ARRAY_TYPE:
            data = np.asarray(data)
        self._array = data
        self.grad: Optional[Tensor] = None
        self.grad_fn = None
        self._counter = None
        self._hooks = None
        self.name = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data, requires_grad: bool) -> Tensor:
        """A Tensor around an array minidl made itself: no conversion, no checks. This is the
        constructor the library uses (``Tensor(data)`` is the user's, which converts)."""
        t = _new_object(Tensor)
        t._array = data
        t.grad = None
        t.grad_fn = None
        t.requires_grad = requires_grad
        t._counter = None
        t._hooks = None
        t.name = None
        return t

    # -- what it is --------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's storage as a new leaf that records nothing, as in PyTorch: it shares
        the array and the version counter, so ``p.data.add_(u)`` changes ``p`` in place
        without recording an op (the old way to update parameters; prefer ``no_grad()``)."""
        detached = Tensor._make(self._array, False)
        detached._counter = self._shared_counter()
        return detached

    @data.setter
    def data(self, value: Tensor) -> None:
        """``p.data = t`` makes ``p`` hold ``t``'s array (any shape or dtype), as in PyTorch."""
        if not isinstance(value, Tensor):
            raise DTypeError(f"data: expected a Tensor, got {type(value).__name__} (wrap an "
                             "array with minidl.tensor(...) first)")
        if self.requires_grad and value._array.dtype.kind not in "fc":
            raise DTypeError(f"data: a tensor that requires grad cannot hold {value.dtype} data")
        self._array = value._array
        self._shared_counter()[0] += 1  # a graph that saved the old array must not use it

    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def device(self) -> backend.Device:
        """Where the tensor lives: a ``minidl.device``, equal to ``"cpu"``, ``"cuda:0"``, ..."""
        return backend.device_of(self._array)

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return int(self._array.size)

    def size(self, dim: Optional[int] = None):
        if dim is None:
            return Size(self._array.shape)
        if self.ndim == 0:  # normalize_dim lets dims 0 and -1 name a 0-d tensor's "all"
            raise ShapeError(f"size: dim {dim!r} is out of range: the tensor is 0-d")
        return self._array.shape[ops.normalize_dim(dim, self.ndim, "size")]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __contains__(self, element) -> bool:
        """``v in t``: whether any element equals v, as in PyTorch."""
        return bool((self == element).any())

    # -- autograd ----------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._array.dtype.kind not in "fc":
            raise DTypeError(f"requires_grad: only floating-point tensors can require "
                             f"gradients, but this tensor is {self._array.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise AutogradError("requires_grad_(False) on a non-leaf tensor; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient: Optional[Tensor] = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad; with
        ``inputs`` (tensors), into theirs only."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and the version counter, like
        PyTorch)."""
        return self.data

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep it)."""
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)
        elif not self.requires_grad:
            raise AutogradError("retain_grad: the tensor does not require grad")

    def register_hook(self, hook: Callable[[Tensor], Optional[Tensor]]):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise AutogradError("register_hook: the tensor does not require grad")
        owner = self.grad_fn if self.grad_fn is not None else self
        if owner._hooks is None:
            owner._hooks = {}
        return RemovableHandle(owner._hooks, hook)

    # -- conversions -------------------------------------------------------------------------
    def to(self, *args, copy: bool = False, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)`` (its
        device and dtype); differentiable, like PyTorch. ``copy=True`` copies even when nothing
        changes; ``non_blocking`` is accepted and changes nothing (copies are synchronous)."""
        device, dtype = parse_to_arguments("to", args, kwargs)
        out = self
        if dtype is not None:
            out = ops.cast(out, dtype)
        if device is not None:
            out = ops.to_device(out, device)
        return ops.clone(out) if copy and out is self else out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        """A copy on a GPU: ``device`` is an index, a device, or None for GPU 0."""
        if device is None or isinstance(device, int):
            device = f"cuda:{device or 0}"
        return self.to(device)

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory). CPU tensors without a graph only."""
        if self.device != "cpu":
            raise backend.DeviceError(f"numpy: the tensor is on {self.device}; call "
                                      ".to('cpu') first to copy it to the host")
        if self.requires_grad:
            raise AutogradError("numpy: can't call numpy() on a tensor that requires grad; "
                                "use tensor.detach().numpy()")
        return self._array

    def item(self):
        if self._array.size != 1:
            raise ShapeError(f"item: only one-element tensors can be converted to Python "
                             f"scalars, but this tensor has shape {tuple(self.shape)}")
        return self._array.item()

    def tolist(self):
        return backend.to_host(self._array).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """An integer (or bool) one-element tensor where Python wants an index, as in
        PyTorch: ``range(n)``, ``items[i]``, ``hex(t)``."""
        if self._array.dtype.kind not in "biu" or self._array.size != 1:
            raise DTypeError(f"only integer tensors of a single element can be converted to "
                             f"an index; this one is {self.dtype} of shape {tuple(self.shape)}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._array.size != 1:
            how_many = "no values" if self._array.size == 0 else "more than one value"
            raise ShapeError(f"bool: the truth value of a tensor with {how_many} (shape "
                             f"{tuple(self.shape)}) is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a 0-d tensor as its number, as in PyTorch; other tensors
        take no format spec (``f"{t}"`` is ``str(t)``)."""
        if self._array.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: "
                            f"only 0-d tensors format as numbers (this one has shape "
                            f"{tuple(self.shape)}; use t.item() for a one-element tensor)")
        return str(self)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` (and Matplotlib) see the numbers, not an object array: a CPU
        tensor's array itself (shared) or, for ``dtype`` or ``copy=True``, a copy. A GPU
        tensor refuses, as in PyTorch: the copy to the host is for the user to ask for."""
        array = self._array
        if type(array) is not np.ndarray:
            raise DeviceError(f"can't convert a tensor on {self.device} to a NumPy array; use "
                              "t.cpu() to copy it to host memory first")
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError(f"__array__: converting {array.dtype} to {np.dtype(dtype)} "
                                 "needs a copy, but copy=False was given")
            return array.astype(dtype)
        return array.copy() if copy else array

    __hash__ = object.__hash__  # tensors are dict keys by identity (e.g. optimizer state)

    # -- operators, each one call into minidl/ops ----------------------------------------------
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, exponent): return ops.pow(self, exponent)
    def __rpow__(self, base): return ops.pow(base, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __getitem__(self, key): return ops.getitem(self, key)

    # Comparisons give boolean tensors that carry no gradient.
    def __eq__(self, other): return ops.compare("eq", self, other)
    def __ne__(self, other): return ops.compare("ne", self, other)
    def __lt__(self, other): return ops.compare("lt", self, other)
    def __le__(self, other): return ops.compare("le", self, other)
    def __gt__(self, other): return ops.compare("gt", self, other)
    def __ge__(self, other): return ops.compare("ge", self, other)
    # Bitwise on integers, logical on bools (minidl/ops/bitwise.py); no gradient.
    def __invert__(self): return ops.bitwise_not(self)
    def __and__(self, other): return ops.bitwise_and(self, other)
    def __rand__(self, other): return ops.bitwise_and(other, self)
    def __or__(self, other): return ops.bitwise_or(self, other)
    def __ror__(self, other): return ops.bitwise_or(other, self)
    def __xor__(self, other): return ops.bitwise_xor(self, other)
    def __rxor__(self, other): return ops.bitwise_xor(other, self)
    def __lshift__(self, other): return ops.bitwise_left_shift(self, other)
    def __rlshift__(self, other): return ops.bitwise_left_shift(other, self)
    def __rshift__(self, other): return ops.bitwise_right_shift(self, other)
    def __rrshift__(self, other): return ops.bitwise_right_shift(other, self)
    # Rounded division and remainder (minidl/ops/division.py)
    def __floordiv__(self, other): return ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return ops.floor_divide(other, self)
    def __mod__(self, other): return ops.remainder(self, other)
    def __rmod__(self, other): return ops.remainder(other, self)

    def __repr__(self) -> str:
        return printing.tensor_repr(self)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a minidl Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def parse_to_arguments(op: str, args: tuple, kwargs: dict):
    """(device, dtype) from the arguments of ``Tensor.to`` or ``Module.to``: positional ones
    in any order (a string or ``minidl.device`` is a device, a Tensor gives its device and
    dtype, anything else is a dtype) or ``device=``/``dtype=``; each None when not given, else
    checked (``"cuda"`` becomes ``"cuda:0"``). ``non_blocking`` is accepted and ignored: copies
    are synchronous."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, str):
            device = arg
        elif isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        else:
            dtype = arg
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise DTypeError(f"{op}: {dtype!r} is not a dtype") from None
    return (None if device is None else backend.parse_device(device)), dtype


# The ops need the Tensor class above, so they are imported after it; the methods look up
# `ops` and `autograd` when they are called. This is minidl's one late import.
from minidl import autograd, ops  # noqa: E402
