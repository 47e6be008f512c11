"""Reverse-mode automatic differentiation: the backward engine and its entry points.

The forward pass records a graph of nodes (``minidl/node.py``), one per recorded Function call.
``backward()`` and ``grad()`` walk it from the output back to the leaves, calling each node's
backward rule once all the gradients of its output have arrived and summing what reaches each
input.

Backward rules are written with differentiable Tensor operations. With ``create_graph=False`` the
engine runs them with graph recording off (cheap); with ``create_graph=True`` they record a graph of
their own, so the gradient can itself be differentiated (Hessians, gradient penalties).

Read next: ``minidl/grad_mode.py`` (the switches the engine and ``apply`` read).
"""
from __future__ import annotations

import heapq
from typing import Any, List, Optional, Sequence

from minidl import backend
from minidl.backward_trace import BackwardTrace
from minidl.errors import AutogradError, DTypeError, ShapeError

# minidl.autograd.Function, as in PyTorch
from minidl.function import Function
from minidl.grad_mode import (
    _backward_blaming_node,
    _check_finite,
    _GradMode,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minidl.node import _FREED, Node
from minidl.ops.dims import broadcast_shape
from minidl.tensor import Tensor
from minidl.threads import adapt as adapt_threads


# ------------------------------------------------------------------------------ the engine
def _fit_gradient(node: Node, index: int, gx, shape: tuple, dtype):
    """Check one gradient returned by ``node.backward`` and undo broadcasting: a gradient with
    the output's shape for an input that was broadcast is summed back to the input's shape."""
    if not isinstance(gx, Tensor):
        raise AutogradError(f"{node.op_name}.backward returned {type(gx).__name__} for input "
                            f"{index}; backward must return Tensors (or None)")
    if gx.dtype != dtype:
        raise AutogradError(f"{node.op_name}.backward returned a {gx.dtype} gradient for input "
                            f"{index}, which is {dtype}")
    if gx.shape != shape:
        if gx.shape != node.out_shape or broadcast_shape(shape, gx.shape) != gx.shape:
            raise AutogradError(
                f"{node.op_name}.backward returned a gradient of shape {tuple(gx.shape)} for input "
                f"{index} of shape {tuple(shape)} (output shape {tuple(node.out_shape)})")
        gx = gx.sum_to(shape)
    return gx


# Callables observe(node, gy, gxs) that watch every step of the backward pass: what a node
# received and what its rule returned. Empty unless someone is watching (``trace()`` below).
_observers: List[Any] = []


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Tensor], retain_graph: bool,
                 create_graph: bool, capture: Optional[dict] = None,
                 fill_retained: Optional[bool] = None) -> None:
    """Propagate ``root_grads`` from ``roots`` through the graph (the chain rule, node by node).

    Leaves accumulate into ``.grad``; if ``capture`` maps leaves/nodes to None, their
    gradients are stored there instead (this is ``minidl.grad``) and no ``.grad`` is touched,
    unless ``fill_retained`` (then tensors that called ``retain_grad()`` still get theirs, as
    in ``backward(inputs=...)``)."""
    adapt_threads()  # about once per training step: the BLAS threads follow the load
    if fill_retained is None:
        fill_retained = capture is None
    grads = {}  # Node -> gradient of its output, summed over all its consumers
    # Nodes waiting to run, as (-sequence_nr, node): the heap pops the most recently created
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
        anomaly = _GradMode.anomaly  # read once: this loop runs for every node
        pop, push = heapq.heappop, heapq.heappush
        while pending:
            node = pop(pending)[1]
            gy = grads.pop(node)
            if node._hooks or node._retained is not None or capture is not None:
                gy = _run_node_hooks(node, gy, capture, fill_retained)
            # The chain rule, one link: the gradients of this node's inputs from its output's.
            if not anomaly:
                gxs = node.function.backward(node, gy)
            else:
                gxs = _backward_blaming_node(node, gy)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            edges = node.edges
            if len(gxs) != len(edges):
                raise AutogradError(f"{node.op_name}.backward returned {len(gxs)} gradients for "
                                    f"{len(edges)} inputs")
            if _observers:
                for observe in _observers:
                    observe(node, gy, gxs)
            index = -1
            for edge, gx in zip(edges, gxs):
                index += 1
                if edge is None or gx is None:
                    continue
                # The gradient must look like the input: a leaf's array, or what its node made.
                leaf = type(edge) is not Node
                if leaf:
                    shape, dtype = edge._array.shape, edge._array.dtype
                else:
                    shape, dtype = edge.out_shape, edge.out_dtype
                if type(gx) is not Tensor or gx._array.shape != shape or (
                        gx._array.dtype is not dtype and gx._array.dtype != dtype):
                    gx = _fit_gradient(node, index, gx, shape, dtype)  # undoes broadcasting
                if anomaly:
                    _check_finite(node.op_name, "backward", gx._array)
                if leaf:
                    _deliver_to_leaf(edge, gx, capture, create_graph,
                                     _is_shared(gx, index, gy, gxs, edge))
                    continue
                earlier = grads.get(edge)
                if earlier is None:
                    grads[edge] = gx
                    push(pending, (-edge.sequence_nr, edge))
                else:  # a node used several times sums its gradients
                    grads[edge] = earlier + gx
            if not retain_graph and node._saved is not None:
                node._saved = _FREED  # free what it saved: a second backward through it raises
                node._out_array = None
    finally:
        _GradMode.enabled = previous_mode


def _is_shared(gx, index: int, gy, gxs, leaf) -> bool:
    """Whether a gradient about to become ``leaf.grad`` may also be held elsewhere: it is the
    node's own ``gy`` or was returned for an earlier input too. Such a leaf gets a copy (see
    ``_deliver_to_leaf``)."""
    if leaf.grad is not None:  # (accumulation makes a new array anyway)
        return False
    return gx is gy or any(other is gx for other in gxs[:index])


def _run_node_hooks(node: Node, gy, capture, fill_retained: bool):
    if node._hooks:
        for hook in list(node._hooks.values()):
            result = hook(gy)
            if result is not None:
                gy = _check_hook_result(hook, gy, result)
    if capture is not None and node in capture:
        capture[node] = gy
    if node._retained is not None and fill_retained:
        tensor = node._retained()
        if tensor is not None:
            tensor.grad = gy if tensor.grad is None else tensor.grad + gy
    return gy


def _check_hook_result(hook, g: Tensor, result) -> Tensor:
    """A tensor hook's replacement for gradient ``g``, if it could be ``g``: a Tensor of the
    same shape, dtype and device (PyTorch checks the same). Else the hook is blamed, by name,
    rather than the op that would later trip over the gradient."""
    name = getattr(hook, "__qualname__", None) or repr(hook)
    if not isinstance(result, Tensor):
        raise AutogradError(f"hook {name!r} returned {type(result).__name__}; a tensor hook "
                            "must return a Tensor (the new gradient) or None")
    for what, got, expected in (("shape", tuple(result.shape), tuple(g.shape)),
                                ("dtype", result.dtype, g.dtype),
                                ("device", result.device, g.device)):
        if got != expected:
            raise AutogradError(f"hook {name!r} changed the gradient's {what}: it returned "
                                f"{got} for a gradient of {what} {expected}")
    return result


def _deliver_to_leaf(leaf: Tensor, g, capture, create_graph: bool, shared: bool) -> None:
    """Accumulate ``g`` into ``leaf.grad`` (or into ``capture``, for ``minidl.grad``).

    ``.grad`` must hold an array the leaf owns: optimizers and gradient clipping scale it in
    place. So a gradient array is copied unless it is freshly computed and owned: ``shared``
    gradients (passed through unchanged by an op like Add, or the root gradient itself), views
    and read-only arrays are copied. Later accumulation (``.grad`` not None) is out of place."""
    if leaf._hooks:
        for hook in list(leaf._hooks.values()):
            result = hook(g)
            if result is not None:
                g = _check_hook_result(hook, g, result)
    if capture is not None:
        if leaf in capture:
            capture[leaf] = g if capture[leaf] is None else capture[leaf] + g
        return
    _accumulate(leaf, g, create_graph, shared)


def _accumulate(leaf: Tensor, g, create_graph: bool, shared: bool) -> None:
    """``leaf.grad += g``, into an array the leaf owns (see ``_deliver_to_leaf``)."""
    if leaf.grad is not None:
        if create_graph:
            leaf.grad = leaf.grad + g
        else:
            a = leaf.grad._array + g._array
            if type(a) is not type(g._array):  # 0-d + 0-d gives a NumPy scalar: keep an array
                a = backend.get_array_module(g._array).asarray(a)
            leaf.grad = Tensor._make(a, False)
    elif create_graph:
        leaf.grad = g
    else:
        a = g._array
        # (CuPy's flags have no ``writeable``: its arrays always are.)
        if shared or not (a.flags.owndata and getattr(a.flags, "writeable", True)):
            a = a.copy()
        leaf.grad = Tensor._make(a, False)


def _grads_for(outputs, grad_outputs, op: str) -> List[Tensor]:
    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise AutogradError(f"{op}: element {i} of tensors does not require grad and does "
                                "not have a grad_fn")
        if g is None:
            if out._array.size != 1:
                raise AutogradError(f"{op}: grad can be implicitly created only for scalar "
                                    f"outputs, but output {i} has shape {tuple(out.shape)}; "
                                    "pass gradient= with the output's shape")
            g = Tensor._make(backend.get_array_module(out._array).ones_like(out._array), False)
        elif not isinstance(g, Tensor):
            g = Tensor._make(backend.asarray(g, out.dtype, out.device), False)
        if g.shape != out.shape:
            raise ShapeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has "
                             f"shape {tuple(out.shape)}")
        if g.dtype != out.dtype:  # cast to the output's dtype, as PyTorch does: a float64
            g = g.to(out.dtype)  # gradient must not make a float32 graph's gradients float64
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``torch.autograd.backward``);
    with ``inputs`` (a tensor or a sequence of them), into those tensors' ``.grad`` only."""
    one = isinstance(tensors, Tensor)  # then grad_tensors is one gradient, maybe an array
    tensors = [tensors] if one else list(tensors)
    if one or grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    roots = _grads_for(tensors, grad_tensors, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(tensors, roots, retain, create_graph)
    else:
        _backward_into(tensors, roots, inputs, retain, create_graph)


def _backward_into(outputs, roots, inputs, retain: bool, create_graph: bool) -> None:
    """``backward(inputs=...)``: the gradients of the chosen tensors only, computed as
    ``grad()`` computes them and then accumulated into their ``.grad`` (a non-leaf's too, as
    in PyTorch). Every other leaf's ``.grad`` is left alone; tensors that called
    ``retain_grad()`` get theirs wherever the pass reaches them, as in PyTorch."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise AutogradError("backward: inputs= cannot be empty (pass None for all leaves)")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise AutogradError(f"backward: input {i} of inputs= does not require grad")
    chosen = {(x.grad_fn if x.grad_fn is not None else x): x for x in inputs}
    capture = dict.fromkeys(chosen)
    run_backward(outputs, roots, retain, create_graph, capture, fill_retained=True)
    for key, x in chosen.items():
        if key is not x and key._retained is not None and key._retained() is x:
            continue  # a retained non-leaf: run_backward has filled its .grad already
        if capture[key] is not None:  # (an input the outputs do not depend on: grad unchanged)
            _accumulate(x, capture[key], create_graph, shared=True)


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


def trace(params: Optional[dict] = None) -> BackwardTrace:
    """``with trace() as t: loss.backward()`` records every step of the backward pass;
    ``print(t)`` shows them (``params``: name -> Tensor, to name the leaves). See
    ``minidl/backward_trace.py``, which does the recording and formatting."""
    return BackwardTrace(params)
