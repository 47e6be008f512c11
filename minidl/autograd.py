"""Reverse-mode automatic differentiation: the Function base class and the backward engine.

A forward computation builds a graph as it runs. Every differentiable primitive is a ``Function``
subclass; calling ``MyFunction.apply(x, y)`` creates one instance of it (the "context", ``ctx``),
runs ``forward(ctx, *arrays)`` on the raw arrays and returns a Tensor whose ``grad_fn`` is ``ctx``.
``ctx.edges`` points at what produced each input: another Function, or the leaf Tensor itself.

``backward(ctx, gy)`` receives the gradient of the final output with respect to this Function's
output (``gy``) and returns one gradient per input -- the chain rule, one link at a time:

    dL/dx = dL/dy * dy/dx          ("gx = gy * local derivative")

Backward rules are written with differentiable Tensor operations. With ``create_graph=False`` the
engine runs them with graph recording off (cheap); with ``create_graph=True`` they record a graph of
their own, so the gradient can itself be differentiated (Hessians, gradient penalties).

Read next: ``minidl/ops/arithmetic.py`` for the simplest Functions.
"""
from __future__ import annotations

import heapq
import itertools
import weakref
from typing import Any, List, Optional, Sequence

import numpy as np

from minidl import backend
from minidl.errors import AutogradError, DTypeError, MinidlError, OutOfRangeError, ShapeError
from minidl.grad_mode import (_GradMode, _backward_blaming_node, _check_finite,  # noqa: F401
                              detect_anomaly, enable_grad, is_grad_enabled, no_grad,
                              set_grad_enabled)


# ------------------------------------------------------------------------------ Function
_new_object = object.__new__
# Nodes are numbered in creation order. A node's consumers are created after it, so visiting
# nodes from the highest number down is a valid backward order (see run_backward).
_next_sequence_nr = itertools.count().__next__
_MIXED = object()  # stands for "tensors of different array types" in Function.apply
_PYTHON_NUMBERS = frozenset((int, float, bool))
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
    very input Tensor (so second derivatives flow through it), the saved output as the output
    Tensor, anything else as a constant. Unlike PyTorch, ``forward`` sees arrays, not Tensors:
    that keeps the forward pass free of graph bookkeeping.
    """

    __slots__ = ("edges", "out_shape", "out_dtype", "needs_input_grad", "sequence_nr",
                 "_saved", "_saved_versions", "__weakref__", "__dict__")
    # Rarely set, so they live in the class until an instance sets its own (hooks, retain_grad,
    # a saved output): that keeps recording a node cheap.
    _hooks = None
    _retained = None
    _out_ref = None
    _out_array = None

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
        through it), hence one loop over the arguments and nothing allocated that is not used."""
        ctx = _new_object(cls)
        ctx._saved = None
        xs = []
        edges = None  # becomes a list when some input requires grad and grad mode is on
        array_type = None
        recording = _GradMode.enabled
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                data = a.data
                if array_type is None:
                    array_type = type(data)
                elif type(data) is not array_type:
                    array_type = _MIXED
                xs.append(data)
                if recording and a.requires_grad:
                    if edges is None:
                        edges = [None] * len(args)
                        needs = [False] * len(args)
                    edges[i] = a.grad_fn if a.grad_fn is not None else a
                    needs[i] = True
            else:
                xs.append(a)
        if array_type is not np.ndarray and array_type is not None:
            backend.same_device_or_raise(cls.__name__, [a.data for a in args
                                                        if isinstance(a, Tensor)])
        ctx.needs_input_grad = (False,) * len(args) if edges is None else needs
        try:
            y = cls.forward(ctx, *xs, **kwargs)
        except MinidlError:
            raise
        except (ValueError, IndexError, TypeError, OverflowError) as exc:
            raise _forward_error(cls, args, exc) from None
        # NumPy reductions return scalars: keep arrays (an array of another device type is an
        # array: ToDevice returns one)
        if type(y) is not array_type and type(y) not in backend._BY_ARRAY_TYPE:
            scalar = y
            y = backend.get_array_module(next(x for x in xs if type(x) is array_type)).asarray(y)
            if ctx._saved is not None:  # forward saved that scalar: save the array instead
                ctx._saved = tuple(y if s is scalar else s for s in ctx._saved)
        if _GradMode.anomaly:
            _check_finite(cls.__name__, "forward", y)
        if edges is None or y.dtype.kind not in "fc":  # integer outputs carry no gradient
            return _new_tensor(y, False)
        out = _new_tensor(y, True)
        out.grad_fn = ctx
        ctx.edges = edges
        ctx.out_shape = y.shape
        ctx.out_dtype = y.dtype
        ctx.sequence_nr = _next_sequence_nr()
        if ctx._saved is not None:
            ctx._resolve_saved(args, xs, y, out)
        return out

    # -- saved tensors -------------------------------------------------------------------
    def save_for_backward(self, *arrays) -> None:
        """Remember arrays (inputs, the output, or intermediates) for backward."""
        self._saved = arrays

    def _resolve_saved(self, args, xs, y, out) -> None:
        """Turn what forward saved into Tensors: inputs map back to the input Tensors, the
        output to (a weak reference to) the output Tensor, other arrays to constants, and
        Python numbers stay numbers."""
        resolved = []
        versions = []
        for s in self._saved:
            if s is None or type(s) in _PYTHON_NUMBERS:  # a Python number stays one
                resolved.append(s)
                versions.append(None)
                continue
            for a, x in zip(args, xs):  # an input? (a short loop by identity beats a dict)
                if x is s and isinstance(a, Tensor):
                    resolved.append(a)
                    versions.append(a._version)
                    break
            else:
                if s is y:
                    resolved.append(_OUTPUT)
                    self._out_ref = weakref.ref(out)
                    self._out_array = y
                else:  # an intermediate array: a constant for the gradient's own graph
                    if type(s) is not type(y):  # a NumPy scalar (ops on 0-d arrays give them)
                        s = backend.get_array_module(y).asarray(s)
                    resolved.append(Tensor._make(s, False))
                versions.append(None)
        self._saved = tuple(resolved)
        self._saved_versions = tuple(versions)

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
        result = []
        for t, version in zip(saved, self._saved_versions):
            if t is _OUTPUT:
                t = self._out_ref()
                if t is None:  # the user dropped the output: rebuild it, still linked to self
                    t = Tensor._make(self._out_array, True)
                    t.grad_fn = self
                elif t._version:
                    self._raise_modified(t, 0)
            elif version is not None and t._version != version:
                self._raise_modified(t, version)
            result.append(t)
        return tuple(result)

    def _raise_modified(self, t, version: int):
        raise AutogradError(
            f"{type(self).__name__}: one of the tensors needed for gradient computation has "
            f"been modified by an in-place operation: a tensor of shape {tuple(t.shape)} and "
            f"dtype {t.dtype} is at version {t._version}; expected version {version} (the "
            f"version saved by {type(self).__name__}).")

    def _release(self) -> None:
        if self._saved is not None:
            self._saved = _FREED
            self._out_array = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


def _forward_error(cls, args, exc) -> MinidlError:
    """A raw NumPy/CuPy error from a forward, re-raised as a minidl error naming the op."""
    shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in args if isinstance(t, Tensor))
    kind = (OutOfRangeError if isinstance(exc, IndexError)
            else ShapeError if isinstance(exc, ValueError) else DTypeError)  # Type/Overflow
    return kind(f"{cls.__name__}: {exc} (tensor inputs: {shapes})")


def _edge(tensor):
    """Where a gradient for ``tensor`` goes: its Function, or the leaf Tensor itself."""
    return tensor.grad_fn if tensor.grad_fn is not None else tensor


# ------------------------------------------------------------------------------ the engine
def _fit_gradient(node: Function, index: int, gx, meta):
    """Check one gradient returned by ``node.backward`` and undo broadcasting: a gradient with
    the output's shape for an input that was broadcast is summed back to the input's shape."""
    if not isinstance(gx, Tensor):
        raise AutogradError(f"{node.name}.backward returned {type(gx).__name__} for input "
                            f"{index}; backward must return Tensors (or None)")
    shape, dtype = meta
    if gx.dtype != dtype:
        raise AutogradError(f"{node.name}.backward returned a {gx.dtype} gradient for input "
                            f"{index}, which is {dtype}")
    if gx.shape != shape:
        if gx.shape != node.out_shape or _broadcast_shape(shape, gx.shape) != gx.shape:
            raise AutogradError(
                f"{node.name}.backward returned a gradient of shape {tuple(gx.shape)} for input "
                f"{index} of shape {tuple(shape)} (output shape {tuple(node.out_shape)})")
        gx = gx.sum_to(shape)
    return gx


def _broadcast_shape(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


# Callables observe(node, gy, gxs) that watch every step of the backward pass: what a node
# received and what its rule returned. Empty unless someone is watching (``trace()`` below).
_observers: List[Any] = []


def run_backward(roots: Sequence["Tensor"], root_grads: Sequence["Tensor"], retain_graph: bool,
                 create_graph: bool, capture: Optional[dict] = None) -> None:
    """Propagate ``root_grads`` from ``roots`` through the graph (the chain rule, node by node).

    Leaves accumulate into ``.grad``; if ``capture`` maps leaves/Functions to None, their
    gradients are stored there instead (this is ``minidl.grad``) and no ``.grad`` is touched."""
    grads = {}  # Function -> gradient of its output, summed over all its consumers
    # Functions waiting to run, as (-sequence_nr, node): the heap pops the most recently created
    # first. Every consumer of a node was created after it, so by the time a node is popped all
    # gradient contributions to its output have arrived (PyTorch orders its engine this way).
    # Each node is pushed once, when its first gradient arrives: no separate topological sort.
    pending = []
    previous_mode = _GradMode.enabled
    _GradMode.enabled = create_graph  # backward rules record a graph only for create_graph
    try:
        for t, g in zip(roots, root_grads):
            if t.grad_fn is None:
                _deliver_to_leaf(t, g, capture, create_graph, shared=True)
            elif t.grad_fn in grads:
                grads[t.grad_fn] = grads[t.grad_fn] + g
            else:
                grads[t.grad_fn] = g
                heapq.heappush(pending, (-t.grad_fn.sequence_nr, t.grad_fn))
        while pending:
            node = heapq.heappop(pending)[1]
            gy = grads.pop(node)
            if node._hooks or node._retained is not None or capture is not None:
                gy = _run_node_hooks(node, gy, capture)
            # The chain rule, one link: the gradients of this node's inputs from its output's.
            gxs = node.backward(node, gy) if not _GradMode.anomaly else \
                _backward_blaming_node(node, gy)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            if len(gxs) != len(node.edges):
                raise AutogradError(f"{node.name}.backward returned {len(gxs)} gradients for "
                                    f"{len(node.edges)} inputs")
            if _observers:
                for observe in _observers:
                    observe(node, gy, gxs)
            for index, (edge, gx) in enumerate(zip(node.edges, gxs)):
                if edge is None or gx is None:
                    continue
                is_leaf = type(edge) is Tensor or isinstance(edge, Tensor)
                # What the gradient must look like: the input's shape and dtype.
                shape, dtype = (edge.data.shape, edge.data.dtype) if is_leaf else \
                    (edge.out_shape, edge.out_dtype)
                if type(gx) is not Tensor or gx.data.shape != shape or gx.data.dtype != dtype:
                    gx = _fit_gradient(node, index, gx, (shape, dtype))  # undoes broadcasting
                if _GradMode.anomaly:
                    _check_finite(node.name, "backward", gx.data)
                if is_leaf:
                    # A gradient that is the node's own gy, or is returned for two inputs, may
                    # be shared with other tensors: the leaf must get its own copy.
                    shared = gx is gy or any(gx is other for other in gxs[:index])
                    _deliver_to_leaf(edge, gx, capture, create_graph, shared)
                elif edge in grads:  # a node used several times sums its gradients
                    grads[edge] = grads[edge] + gx
                else:
                    grads[edge] = gx
                    heapq.heappush(pending, (-edge.sequence_nr, edge))
            if not retain_graph:
                node._release()
    finally:
        _GradMode.enabled = previous_mode


def _run_node_hooks(node: Function, gy, capture):
    if node._hooks:
        for hook in list(node._hooks.values()):
            result = hook(gy)
            gy = gy if result is None else result
    if capture is not None and node in capture:
        capture[node] = gy
    if node._retained is not None and capture is None:
        tensor = node._retained()
        if tensor is not None:
            tensor.grad = gy if tensor.grad is None else tensor.grad + gy
    return gy


def _deliver_to_leaf(leaf: "Tensor", g, capture, create_graph: bool, shared: bool) -> None:
    """Accumulate ``g`` into ``leaf.grad`` (or into ``capture``, for ``minidl.grad``).

    ``.grad`` must hold an array the leaf owns: optimizers and gradient clipping scale it in
    place. So a gradient array is copied unless it is freshly computed and owned: ``shared``
    gradients (passed through unchanged by an op like Add, or the root gradient itself), views
    and read-only arrays are copied. Later accumulation (``.grad`` not None) is out of place."""
    if leaf._hooks:
        for hook in list(leaf._hooks.values()):
            result = hook(g)
            g = g if result is None else result
    if capture is not None:
        if leaf in capture:
            capture[leaf] = g if capture[leaf] is None else capture[leaf] + g
        return
    if leaf.grad is not None:
        if create_graph:
            leaf.grad = leaf.grad + g
        else:
            a = leaf.grad.data + g.data
            if type(a) is not type(g.data):  # 0-d + 0-d gives a NumPy scalar: keep an array
                a = backend.get_array_module(g.data).asarray(a)
            leaf.grad = Tensor._make(a, False)
    elif create_graph:
        leaf.grad = g
    else:
        a = g.data
        if shared or not (a.flags.owndata and a.flags.writeable):
            a = a.copy()
        leaf.grad = Tensor._make(a, False)


def _grads_for(outputs, grad_outputs, op: str) -> List["Tensor"]:
    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise AutogradError(f"{op}: element {i} of tensors does not require grad and does "
                                "not have a grad_fn")
        if g is None:
            if out.data.size != 1:
                raise AutogradError(f"{op}: grad can be implicitly created only for scalar "
                                    f"outputs, but output {i} has shape {tuple(out.shape)}; "
                                    "pass gradient= with the output's shape")
            g = Tensor._make(backend.get_array_module(out.data).ones_like(out.data), False)
        elif not isinstance(g, Tensor):
            g = Tensor._make(backend.asarray(g, out.dtype, out.device), False)
        if g.shape != out.shape:
            raise ShapeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has "
                             f"shape {tuple(out.shape)}")
        if g.dtype != out.dtype:
            raise DTypeError(f"{op}: gradient has dtype {g.dtype} but the output has dtype "
                             f"{out.dtype}")
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None,
             create_graph: bool = False) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``torch.autograd.backward``)."""
    one = isinstance(tensors, Tensor)  # then grad_tensors is one gradient, maybe an array
    tensors = [tensors] if one else list(tensors)
    if one or grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    roots = _grads_for(tensors, grad_tensors, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward(tensors, roots, retain, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad`` (``torch.autograd.grad``).

    With ``create_graph=True`` the returned gradients carry a graph of their own, so they can be
    differentiated again: ``grad(grad(f, x, create_graph=True)[0].sum(), x)`` is a second
    derivative."""
    one = isinstance(outputs, Tensor)  # then grad_outputs is one gradient, maybe an array
    outputs = [outputs] if one else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if one or grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise AutogradError(f"grad: input {i} does not require grad")
    roots = _grads_for(outputs, grad_outputs, "grad")
    capture = {(x.grad_fn if x.grad_fn is not None else x): None for x in inputs}
    retain = create_graph if retain_graph is None else retain_graph
    run_backward(outputs, roots, retain, create_graph, capture)
    result = []
    for i, x in enumerate(inputs):
        g = capture[x.grad_fn if x.grad_fn is not None else x]
        if g is None and not allow_unused:
            raise AutogradError(f"grad: input {i} (shape {tuple(x.shape)}) was not used to "
                                "compute the outputs; pass allow_unused=True to get None")
        result.append(g)
    return tuple(result)


def trace(params: Optional[dict] = None):
    """``with trace() as t: loss.backward()`` records every step of the backward pass;
    ``print(t)`` shows them (``params``: name -> Tensor, to name the leaves). See
    ``minidl/trace.py``, which does the recording and formatting."""
    from minidl.trace import BackwardTrace  # imported here: minidl.trace imports this module
    return BackwardTrace(params)


from minidl.tensor import Tensor, _new_tensor  # noqa: E402  (tensor.py imports this first)
