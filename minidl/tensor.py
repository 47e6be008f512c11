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
backward rules live. Read next: ``minidl/function.py`` (what an op is).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

import numpy as np

from minidl import backend
from minidl.errors import AutogradError, DTypeError, ShapeError
from minidl.handles import RemovableHandle
from minidl.inplace import InPlaceMethods

_new_object = object.__new__


class Tensor(InPlaceMethods):
    """An n-dimensional array that can record the operations applied to it. Its in-place
    methods (``add_``, ``x += y``, ``x[i] = v``, ...) and version counter are in
    ``minidl/inplace.py``."""

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
    def shape(self) -> tuple:
        return self._array.shape

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def device(self) -> str:
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
            return self._array.shape
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
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        autograd.backward(self, gradient, retain_graph, create_graph)

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
    def to(self, *args, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``; differentiable, like PyTorch."""
        device, dtype = parse_to_arguments("to", args, kwargs)
        out = self
        if dtype is not None:
            out = ops.cast(out, dtype)
        if device is not None:
            out = ops.to_device(out, device)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(f"cuda:{index}")

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

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

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise ShapeError(f"bool: the truth value of a tensor of shape {tuple(self.shape)} "
                             "is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor as its number, as in PyTorch."""
        if self._array.size == 1 and self._array.ndim == 0:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` (and Matplotlib) see the numbers, not an object array: a CPU
        tensor's array itself (shared) or, for ``dtype``, a converted copy."""
        array = backend.to_host(self._array)
        return array if dtype is None else array.astype(dtype, copy=False)

    __hash__ = object.__hash__  # tensors are dict keys by identity (e.g. optimizer state)


    # -- math: operators and methods, each one call into minidl/ops ------------------------------
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
    def __invert__(self): return ops.logical_not(self)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)

    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def pow(self, exponent): return ops.pow(self, exponent)
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def clamp(self, min=None, max=None): return ops.clamp(self, min, max)
    def clip(self, min=None, max=None): return ops.clamp(self, min, max)
    def sign(self): return ops.sign(self)

    def sum(self, dim=None, keepdim=False): return ops.sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim=False): return ops.mean(self, dim, keepdim)
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)
    def max(self, dim=None, keepdim=False): return ops.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return ops.min(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return ops.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return ops.argmin(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return ops.any(self, dim, keepdim)
    def all(self, dim=None, keepdim=False): return ops.all(self, dim, keepdim)
    def logsumexp(self, dim, keepdim=False): return ops.logsumexp(self, dim, keepdim)
    def softmax(self, dim): return ops.softmax(self, dim)
    def log_softmax(self, dim): return ops.log_softmax(self, dim)
    def sum_to(self, shape): return ops.sum_to(self, shape)

    def matmul(self, other): return ops.matmul(self, other)
    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view(self, *shape): return ops.reshape(self, *shape)
    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def transpose(self, dim0, dim1): return ops.transpose(self, dim0, dim1)
    def permute(self, *dims): return ops.permute(self, *dims)
    def squeeze(self, dim=None): return ops.squeeze(self, dim)
    def unsqueeze(self, dim): return ops.unsqueeze(self, dim)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)

    # -- display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(backend.to_host(self._array), separator=", ", prefix="tensor(",
                               precision=4)
        extras = []
        if self._array.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self._array.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"


def parse_to_arguments(op: str, args: tuple, kwargs: dict):
    """(device, dtype) from the arguments of ``Tensor.to`` or ``Module.to``: positional ones
    in any order (a string is a device, anything else a dtype) or ``device=``/``dtype=``; each
    None when not given, else checked (``"cuda"`` becomes ``"cuda:0"``)."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, str):
            device = arg
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
