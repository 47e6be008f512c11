"""One node of the graph: the ``Function`` base class every differentiable operation subclasses.

Calling ``MyFunction.apply(x, y)`` creates one instance of it (the "context", ``ctx``), runs
``forward(ctx, *arrays)`` on the raw arrays and returns a Tensor whose ``grad_fn`` is ``ctx``.
``ctx.edges`` points at what produced each input: another Function, or the leaf Tensor itself.
``backward(ctx, gy)`` receives the gradient of the final output with respect to this node's
output and returns one gradient per input -- the chain rule, one link at a time:

    dL/dx = dL/dy * dy/dx          ("gx = gy * local derivative")

Read next: ``minidl/autograd.py`` (the engine that calls ``backward`` node by node), then
``minidl/ops/arithmetic.py`` for the simplest Functions.
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from minidl import backend
from minidl.errors import AutogradError, DTypeError, MinidlError, OutOfRangeError, ShapeError
from minidl.grad_mode import _GradMode, _check_finite

_new_object = object.__new__
# Nodes are numbered in creation order. A node's consumers are created after it, so visiting
# nodes from the highest number down is a valid backward order (see run_backward).
_next_sequence_nr = itertools.count().__next__
_MIXED = object()  # stands for "tensors of different array types" in Function.apply
_PYTHON_NUMBERS = frozenset((int, float, bool))
# _NEEDS_INPUT_GRAD[n][bits]: the needs_input_grad tuple of n inputs, input i needing a
# gradient where bit i is set (shared tuples: nothing to allocate per op)
_NEEDS_INPUT_GRAD = [[tuple(bool(bits >> i & 1) for i in range(n)) for bits in range(1 << n)]
                     for n in range(5)]
_OUTPUT = object()  # marks "the output of this Function" among the saved tensors
_FREED = object()  # saved tensors were released after a backward without retain_graph



class Function:
    """Base class of every differentiable operation (one node of the graph).

    Subclasses define two static methods, side by side:

    * ``forward(ctx, *inputs)``: receives raw arrays (Tensor inputs are unwrapped; other
      arguments pass through) and returns one array. Call ``ctx.save_for_backward(*arrays)``
      with what backward needs.
    * ``backward(ctx, gy)``: receives the output's gradient as a Tensor and returns one gradient
      Tensor (or None) per forward input, using Tensor operations only.

    ``ctx.saved_tensors`` gives back what was saved, as Tensors: a saved input comes back as the
    very input Tensor (so second derivatives flow through it), the saved output as a Tensor
    around the output's array whose ``grad_fn`` is this node, anything else as a constant.
    Unlike PyTorch, ``forward`` sees arrays, not Tensors: that keeps the forward pass free of
    graph bookkeeping.
    """

    __slots__ = ("edges", "out_shape", "out_dtype", "needs_input_grad", "sequence_nr",
                 "_saved", "_saved_versions", "_out_array", "_out_counter", "__weakref__",
                 "__dict__")
    # _out_array and _out_counter (the output's array and version counter) are set only by a
    # node that saved its output, and read only when it did.
    _hooks = None
    _retained = None
    _is_leaf_edge = False  # Tensor says True: the engine tells the two kinds of edge apart

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, gy):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arrays inside ``args`` and, if any input needs a gradient,
        record this node in the graph. Returns the output Tensor.

        This is the hottest path in minidl (every op of every forward and backward pass goes
        through it, and a small op spends most of its time here rather than in NumPy), hence
        one pass over the arguments, nothing allocated that is not used, and helpers inlined."""
        ctx = _new_object(cls)
        ctx._saved = None
        xs = list(args)  # the arguments with each Tensor replaced by its array
        edges = None  # becomes a list when some input requires grad and grad mode is on
        needed = 0  # bit i: input i requires grad (and grad mode is on)
        array_type = None
        recording = _GradMode.enabled
        i = 0
        for a in args:
            if isinstance(a, Tensor):
                xs[i] = data = a.data
                if array_type is None:
                    array_type = type(data)
                elif type(data) is not array_type:
                    array_type = _MIXED
                if recording and a.requires_grad:
                    if edges is None:
                        edges = [None] * len(args)
                    edges[i] = a.grad_fn or a  # what produced the input, or the leaf itself
                    needed |= 1 << i
            i += 1
        if array_type is not np.ndarray and array_type is not None:
            backend.same_device_or_raise(cls.__name__, [a.data for a in args
                                                        if isinstance(a, Tensor)])
        # needs_input_grad[i] is bit i of `needed`; tuples for up to 4 inputs are made once
        ctx.needs_input_grad = (_NEEDS_INPUT_GRAD[i][needed] if i < 5 else
                                tuple(bool(needed >> k & 1) for k in range(i)))
        try:
            y = cls.forward(ctx, *xs, **kwargs)
        except MinidlError:
            raise
        except (ValueError, IndexError, TypeError, OverflowError) as exc:
            raise _forward_error(cls, args, exc) from None
        # NumPy reductions return scalars: keep arrays (an array of another device type is an
        # array: ToDevice returns one)
        if type(y) is not array_type and type(y) not in backend._BY_ARRAY_TYPE:
            y = ctx._array_from_scalar(y, xs, array_type)
        if _GradMode.anomaly:
            _check_finite(cls.__name__, "forward", y)
        out = _new_object(Tensor)  # _new_tensor(y, ...), inlined
        out.data = y
        out.grad = out._counter = out._hooks = out.name = None
        if y.base is not None:  # a view (reshape, indexing, transpose, ...): maybe of an input
            _share_version_counter(out, args, xs)
        if edges is None or y.dtype.kind not in "fc":  # integer outputs carry no gradient
            out.requires_grad = False
            out.grad_fn = None
            return out
        out.requires_grad = True
        out.grad_fn = ctx
        ctx.edges = edges
        ctx.out_shape = y.shape
        ctx.out_dtype = y.dtype
        ctx.sequence_nr = _next_sequence_nr()
        if ctx._saved is not None:
            ctx._resolve_saved(args, xs, y, out)
        return out

    def _array_from_scalar(self, scalar, xs, array_type):
        """A NumPy scalar returned by forward (reductions give them) as a 0-d array of the
        inputs' array type; if forward saved the scalar, the array is saved instead."""
        y = backend.get_array_module(next(x for x in xs if type(x) is array_type)).asarray(scalar)
        if self._saved is not None:
            self._saved = tuple(y if s is scalar else s for s in self._saved)
        return y

    # -- saved tensors -------------------------------------------------------------------
    def save_for_backward(self, *arrays) -> None:
        """Remember arrays (inputs, the output, or intermediates) for backward."""
        self._saved = arrays

    def _resolve_saved(self, args, xs, y, out) -> None:
        """Turn what forward saved into what backward gets: inputs map back to the input
        Tensors, other arrays to constants, Python numbers stay numbers, and the output to a
        marker. ``saved_tensors`` rebuilds the output: a new Tensor around its array, linked to
        this node and sharing its version counter, so that a change through the output or any
        view of it is seen even after the user dropped the output (holding the output Tensor
        itself would make a reference cycle: it holds this node as its grad_fn).

        Backward checks that no in-place change came since. ``_saved_versions`` holds the
        version now of each saved tensor whose version is not 0, and is None when all are 0,
        the common case: version counters are made lazily, at the first in-place change or
        view of a tensor, so a tensor without one is at version 0."""
        saved = self._saved
        resolved = None  # a copy of saved, made at the first entry that changes
        versions = None
        n = len(xs)
        k = -1
        for s in saved:
            k += 1
            if s is None or type(s) in _PYTHON_NUMBERS:  # a Python number stays one
                continue
            if k < n and s is xs[k] and isinstance(args[k], Tensor):  # input k, as the k-th
                t = entry = args[k]
            elif s is y:
                entry = _OUTPUT
                self._out_array = y
                if out._counter is None:  # (a view of an input shares the input's counter)
                    out._counter = [0]
                self._out_counter = out._counter
                t = out
            else:
                t = entry = self._input_or_constant(s, args, xs, y)
            if resolved is None:
                resolved = list(saved)
            resolved[k] = entry
            if t._counter is not None and t._counter[0] != 0:
                if versions is None:
                    versions = [0] * len(saved)
                versions[k] = t._counter[0]
        if resolved is not None:
            self._saved = tuple(resolved)
        self._saved_versions = versions

    @staticmethod
    def _input_or_constant(array, args, xs, y):
        """The input Tensor whose array ``array`` is (saved out of order), else a constant."""
        for a, x in zip(args, xs):
            if x is array and isinstance(a, Tensor):
                return a
        if type(array) is not type(y):  # a NumPy scalar (ops on 0-d arrays give them)
            array = backend.get_array_module(y).asarray(array)
        return Tensor._make(array, False)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise AutogradError(
                f"{type(self).__name__}: trying to backward through the graph a second time (or "
                "to read saved tensors after they were freed). Saved tensors are freed after "
                "backward; specify retain_graph=True on the first backward() if you need to "
                "backward through the graph again.")
        if saved is None:
            return ()
        versions = self._saved_versions
        result = saved
        k = 0
        for t in saved:
            if t is _OUTPUT:  # the output, rebuilt (see _resolve_saved): a new Tensor around
                if result is saved:  # its array, linked to this node and sharing its counter
                    result = list(saved)
                result[k] = t = _new_tensor(self._out_array, True)
                t.grad_fn = self
                t._counter = self._out_counter
            if isinstance(t, Tensor) and t._counter is not None:
                version = versions[k] if versions is not None else 0
                if t._counter[0] != version:
                    self._raise_modified(t.data, t._counter[0], version)
            k += 1
        return result if result is saved else tuple(result)

    def _raise_modified(self, array, now: int, version: int):
        raise AutogradError(
            f"{type(self).__name__}: one of the tensors needed for gradient computation has "
            f"been modified by an in-place operation (on it, or on a view sharing its memory): "
            f"a tensor of shape {tuple(array.shape)} and dtype {array.dtype} is at version "
            f"{now}; expected version {version} (the version saved by {type(self).__name__}).")

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


def _share_version_counter(out, args, xs) -> None:
    """If ``out``'s array is a view of an input's memory, ``out`` takes that input's version
    counter, as views do in PyTorch: an in-place change through either is then seen by a
    graph that saved the other. (NumPy and CuPy give a view the array owning the memory as
    its ``base``.)"""
    owner = out.data.base
    for a, x in zip(args, xs):
        if isinstance(a, Tensor) and (x is owner or x.base is owner):
            out._counter = a._shared_counter()
            return


def _forward_error(cls, args, exc) -> MinidlError:
    """A raw NumPy/CuPy error from a forward, re-raised as a minidl error naming the op."""
    shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in args if isinstance(t, Tensor))
    kind = (OutOfRangeError if isinstance(exc, IndexError)
            else ShapeError if isinstance(exc, ValueError) else DTypeError)  # Type/Overflow
    return kind(f"{cls.__name__}: {exc} (tensor inputs: {shapes})")


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook: Callable):
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self.hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


from minidl.tensor import Tensor, _new_tensor  # noqa: E402  (tensor.py needs Function first)
