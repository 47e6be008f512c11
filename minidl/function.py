"""The ``Function`` base class every differentiable operation subclasses.

Calling ``MyFunction.apply(x, y)`` creates a graph node (``minidl/node.py``; the "context",
``ctx``), runs ``forward(ctx, *arrays)`` on the raw arrays and returns a Tensor whose
``grad_fn`` is ``ctx``. ``ctx.edges`` points at what produced each input: another node, or the
leaf Tensor itself. ``backward(ctx, gy)`` receives the gradient of the final output with
respect to this node's output and returns one gradient per input -- the chain rule, one link
at a time:

    dL/dx = dL/dy * dy/dx          ("gx = gy * local derivative")

``Function.apply_reference`` is the whole of what calling an op does, in fifteen plain lines:
read it first. ``Function.apply`` does exactly the same, written for speed (a test runs every op
of the op table through both and compares outputs, graphs and gradients).

Read next: ``minidl/node.py`` (what a node keeps).
"""
from __future__ import annotations

import itertools

import numpy as np

from minidl import backend
from minidl.errors import DTypeError, MinidlError, OutOfRangeError, ShapeError, numpy_message
from minidl.grad_mode import _check_finite, _GradMode
from minidl.node import Node
from minidl.tensor import Tensor, _new_object

# Nodes are numbered in creation order. A node's consumers are created after it, so visiting
# nodes from the highest number down is a valid backward order (see run_backward).
_next_sequence_nr = itertools.count().__next__
_NDARRAY = np.ndarray  # (CPython cannot speed up np.ndarray: NumPy has a module __getattr__)
_MIXED = object()  # stands for "tensors of different array types" in Function.apply
# _NEEDS_INPUT_GRAD[n][bits]: the needs_input_grad tuple of n inputs, input i needing a
# gradient where bit i is set (shared tuples: nothing to allocate per op)
_NEEDS_INPUT_GRAD = [[tuple(bool(bits >> i & 1) for i in range(n)) for bits in range(1 << n)]
                     for n in range(5)]


class Function:
    """Base class of every differentiable operation.

    Subclasses define two static methods, side by side:

    * ``forward(ctx, *inputs)``: receives raw arrays (Tensor inputs are unwrapped; other
      arguments pass through) and returns one array. Call ``ctx.save_for_backward(*arrays)``
      with what backward needs.
    * ``backward(ctx, gy)``: receives the output's gradient as a Tensor and returns one gradient
      Tensor (or None) per forward input, using Tensor operations only.

    ``ctx`` is the call's graph node (a ``Node``, the same class for every Function).
    ``ctx.saved_tensors`` gives back what was saved, as Tensors: a saved input comes back as the
    very input Tensor (so second derivatives flow through it), the saved output as a Tensor
    around the output's array whose ``grad_fn`` is this node, anything else as a constant.
    A Function class is never instantiated: it only holds the two rules.

    Unlike PyTorch, ``forward`` sees arrays (``numpy.ndarray``, or ``cupy.ndarray`` on a GPU),
    not Tensors: that keeps the forward pass free of graph bookkeeping, and the array's own
    methods and ``xp = minidl.backend.get_array_module(x)`` (``xp.exp(x)``) are what forward
    computes with. A Tensor method called there (``x.exp()``, ``x.clamp(0)``) raises a
    ``DTypeError`` that says so. An op written from Tensor operations needs no Function.
    """

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, gy):
        raise NotImplementedError

    @classmethod
    def apply_reference(cls, *args, **kwargs):
        """Call the op: unwrap the Tensors, run ``forward`` on their arrays, wrap the result in
        a Tensor and, if an input needs a gradient, record the call as a graph node.

        The plain twin of ``apply`` (below), which is what minidl runs: same result, same graph.
        ``apply`` also checks devices, turns NumPy's errors into minidl's and checks results
        under ``detect_anomaly``."""
        ctx = Node()
        ctx.function, ctx._saved = cls, None
        ctx.needs_input_grad = tuple(_GradMode.enabled and isinstance(a, Tensor) and
                                     a.requires_grad for a in args)
        xs = [a._array if isinstance(a, Tensor) else a for a in args]  # 1. unwrap
        y = cls.forward(ctx, *xs, **kwargs)  # 2. forward, on arrays
        if type(y) not in backend._BY_ARRAY_TYPE:  # (NumPy's reductions return scalars)
            y = ctx._array_from_scalar(y, xs)
        out = Tensor._make(y, False)  # 3. wrap
        if y.base is not None:  # a view of an input's memory shares its version counter
            _share_version_counter(out, args, xs)
        if any(ctx.needs_input_grad) and y.dtype.kind in "fc":  # 4. record
            out.requires_grad, out.grad_fn = True, ctx
            ctx.edges = [(a.grad_fn or a) if needed else None  # who made each input
                         for a, needed in zip(args, ctx.needs_input_grad)]
            ctx.out_shape, ctx.out_dtype = y.shape, y.dtype
            ctx.sequence_nr = _next_sequence_nr()
            ctx._hooks = ctx._retained = None
            if ctx._saved is not None:
                ctx._resolve_saved(args, xs, y, out)
        return out

    @classmethod
    def apply(cls, *args, **kwargs):
        """``apply_reference``, written for speed: returns the same output Tensor and records
        the same node.

        This is the hottest path in minidl (every op of every forward and backward pass goes
        through it, and a small op spends most of its time here rather than in NumPy), hence
        one pass over the arguments, nothing allocated that is not used, and helpers inlined."""
        ctx = Node()
        ctx.function = cls
        ctx._saved = None
        xs = list(args)  # the arguments with each Tensor replaced by its array
        edges = None  # becomes a list when some input requires grad and grad mode is on
        needed = 0  # bit i: input i requires grad (and grad mode is on)
        array_type = None
        recording = _GradMode.enabled
        i = 0
        for a in args:
            if isinstance(a, Tensor):
                xs[i] = data = a._array
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
        if array_type is not _NDARRAY and array_type is not None:
            backend.same_device_or_raise(cls.__name__, [a._array for a in args
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
        except AttributeError as exc:  # a Tensor method called on an array
            if type(getattr(exc, "obj", None)) not in backend._BY_ARRAY_TYPE:
                raise
            raise _array_method_error(cls, exc) from None
        # NumPy reductions return scalars: keep arrays (an array of another device type is an
        # array: ToDevice returns one)
        if type(y) is not array_type and type(y) not in backend._BY_ARRAY_TYPE:
            y = ctx._array_from_scalar(y, xs)
        if _GradMode.anomaly:
            _check_finite(cls.__name__, "forward", y)
        out = _new_object(Tensor)  # Tensor._make(y, False), inlined
        out._array = y
        out.grad = out._counter = out._hooks = out.name = None
        if y.base is not None:  # a view (reshape, indexing, transpose, ...): maybe of an input
            _share_version_counter(out, args, xs)
        dtype = y.dtype
        if edges is None or dtype.kind not in "fc":  # integer outputs carry no gradient
            out.requires_grad = False
            out.grad_fn = None
            return out
        out.requires_grad = True
        out.grad_fn = ctx
        ctx.edges = edges
        ctx.out_shape = y.shape
        ctx.out_dtype = dtype
        ctx.sequence_nr = _next_sequence_nr()
        ctx._hooks = ctx._retained = None
        if ctx._saved is not None:
            ctx._resolve_saved(args, xs, y, out)
        return out


def _share_version_counter(out, args, xs) -> None:
    """If ``out``'s array is a view of an input's memory, ``out`` takes that input's version
    counter, as views do in PyTorch: an in-place change through either is then seen by a
    graph that saved the other. (NumPy and CuPy give a view the array owning the memory as
    its ``base``.)"""
    owner = out._array.base
    for a, x in zip(args, xs):
        if isinstance(a, Tensor) and (x is owner or x.base is owner):
            out._counter = a._shared_counter()
            return


def _array_method_error(cls, exc: AttributeError) -> MinidlError:
    """``x.exp()`` inside a forward, where ``x`` is an array: say why, and what to write."""
    array_type = type(exc.obj)
    return DTypeError(
        f"{cls.__name__}.forward: {exc}. forward receives raw arrays "
        f"({array_type.__module__}.{array_type.__name__}), not Tensors, so Tensor methods "
        f"such as .{exc.name}() are not there: compute with the array's own methods and "
        "functions (xp = minidl.backend.get_array_module(x); xp.exp(x)), or write the op "
        "from Tensor operations outside a Function (it then needs no backward)")


def _forward_error(cls, args, exc) -> MinidlError:
    """A raw NumPy/CuPy error from a forward, re-raised as a minidl error naming the op."""
    shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in args if isinstance(t, Tensor))
    kind = (OutOfRangeError if isinstance(exc, IndexError)
            else ShapeError if isinstance(exc, ValueError) else DTypeError)  # Type/Overflow
    return kind(f"{cls.__name__}: {numpy_message(exc)} (tensor inputs: {shapes})")
