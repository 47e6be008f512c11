"""A record of the backward pass, step by step: what each op received and what it sent on.

    with minidl.autograd.trace() as t:
        loss.backward()
    print(t)            # every step, in the order the engine ran them
    print(t.summary())  # one line per op type and one per leaf: for real models

The engine (``run_backward`` in ``minidl/autograd.py``) calls every observer in
``autograd._observers`` once per node, with the node, the gradient of its output (``gy``) and
the gradients its backward rule returned (``gxs``, one per input). ``BackwardTrace`` is such an
observer: it keeps, for each step, the op, the shapes going in and out, the local derivative
rule (the first paragraph of the op's docstring, where every op in ``minidl/ops`` states it) and
the size of the gradients. Small gradients are kept whole, so a scalar expression shows every
number; large ones are summarised by their norm.

Read next: ``minidl/viz.py``, which draws the same graph instead of listing its steps.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from minidl import autograd, backend
from minidl.node import Node
from minidl.ops.shape import sum_to_array
from minidl.tensor import Tensor

SMALL = 6  # gradients with at most this many elements are kept and printed whole
FULL_LISTING_MAX = 40  # str(trace) lists every step up to this many, else it summarises


def rule_of(function_class: type) -> str:
    """The derivative rule an op states in the first paragraph of its docstring."""
    doc = (function_class.__doc__ or "").strip()
    paragraph = doc.split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def norm(array) -> float:
    """The Euclidean norm of a whole array (of any shape), as a Python float."""
    xp = backend.get_array_module(array)
    return float(xp.linalg.norm(array.reshape(-1).astype(np.float64, copy=False)))


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def format_values(array: np.ndarray) -> str:
    """A small array's values on one line: ``1.5`` or ``[1, -2, 0.25]``."""
    if array.ndim == 0:
        return _fmt(float(array))
    return "[" + ", ".join(_fmt(float(v)) for v in array.reshape(-1)) + "]"


def _shape(shape: tuple) -> str:
    return str(tuple(shape))


def _without_trailing_nones(edges) -> list:
    """The edges up to the last one that takes a gradient: trailing Nones are constants or
    non-tensor arguments (``dim``, ``keepdim``, ...), left out of the listing."""
    edges = list(edges)
    while edges and edges[-1] is None:
        edges.pop()
    return edges


def _only_first(edges) -> bool:
    """True when only the first input takes a gradient: call it gx, not gx0."""
    return len(_without_trailing_nones(edges)) == 1


class Step:
    """One node's backward: ``op`` received ``gy`` and returned one gradient per input."""

    __slots__ = ("index", "node", "op", "rule", "out_shape", "input_shapes", "gy_norm",
                 "gx_norms", "gy_value", "gx_values")

    def __init__(self, index: int, node: Node, gy, gxs: List[Any]):
        """``gy`` and ``gxs``: arrays (``gxs[i]`` None where input i gets no gradient)."""
        self.index = index
        self.node = node  # kept so that node identities stay unique while the trace lives
        self.op = node.op_name
        self.rule = rule_of(node.function)
        self.out_shape = tuple(node.out_shape)
        self.input_shapes = [None if e is None else
                             tuple(e._array.shape) if isinstance(e, Tensor) else tuple(e.out_shape)
                             for e in node.edges]
        self.gy_norm = norm(gy)
        self.gy_value = backend.to_host(gy).copy() if gy.size <= SMALL else None
        self.gx_norms: List[Optional[float]] = []
        self.gx_values: List[Optional[np.ndarray]] = []
        for gx in gxs:
            self.gx_norms.append(None if gx is None else norm(gx))
            small = gx is not None and gx.size <= SMALL
            self.gx_values.append(backend.to_host(gx).copy() if small else None)

    def __repr__(self) -> str:
        return f"<Step {self.index}: {self.op} -> {self.out_shape}>"


class BackwardTrace:
    """Records every step of the backward passes run inside ``with`` (see the module docstring).

    ``steps`` is the list of ``Step``s in the order they ran; ``leaf_grads()`` maps each leaf's
    name to the gradient it received (summed over the steps that reached it)."""

    def __init__(self, params: Optional[Dict[str, Tensor]] = None):
        self.steps: List[Step] = []
        self._names = {id(t): name for name, t in (params or {}).items()}
        self._step_of: Dict[int, int] = {}  # id(node) -> index of the step that ran it
        self._leaves: Dict[int, Tuple[Tensor, Any]] = {}  # id(leaf) -> (leaf, summed gradient)

    # -- recording ----------------------------------------------------------------------------
    def __enter__(self) -> BackwardTrace:
        autograd._observers.append(self)
        return self

    def __exit__(self, *exc) -> bool:
        autograd._observers.remove(self)
        return False

    def __call__(self, node: Node, gy: Tensor, gxs: tuple) -> None:
        """Called by the engine after ``node.backward`` returned ``gxs``."""
        fitted = []  # each gradient as the engine will deliver it: broadcasting undone
        for edge, gx in zip(node.edges, gxs):
            if edge is None or gx is None:
                fitted.append(None)
                continue
            shape = edge._array.shape if isinstance(edge, Tensor) else edge.out_shape
            array = gx._array if gx._array.shape == shape else sum_to_array(gx._array, shape)
            fitted.append(array)
            if isinstance(edge, Tensor):
                _, total = self._leaves.get(id(edge), (edge, None))
                self._leaves[id(edge)] = (edge, array if total is None else total + array)
        self._step_of[id(node)] = len(self.steps)
        self.steps.append(Step(len(self.steps), node, gy._array, fitted))

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]

    def leaf_name(self, leaf: Tensor) -> str:
        """A leaf's name: from ``params``, else its ``.name``, else "leaf"."""
        return self._names.get(id(leaf)) or leaf.name or "leaf"

    def leaf_grads(self) -> Dict[str, np.ndarray]:
        """name -> the gradient the leaf received in the traced backward passes (on the host).
        Unnamed leaves are called "leaf", "leaf#2", ... in the order they received one."""
        result = {}
        for leaf, total in self._leaves.values():
            name = base = self.leaf_name(leaf)
            k = 1
            while name in result:
                k += 1
                name = f"{base}#{k}"
            result[name] = backend.to_host(total)
        return result

    def _input_label(self, edge, shape) -> str:
        if edge is None:
            return "const"
        if isinstance(edge, Tensor):
            return f"{self.leaf_name(edge)} {_shape(shape)}"
        index = self._step_of.get(id(edge))
        where = f"{edge.op_name}#{index + 1}" if index is not None else edge.op_name
        return f"{where} {_shape(shape)}"

    def _gradients(self, step: Step) -> str:
        if step.gy_value is not None:
            incoming = f"gy = {format_values(step.gy_value)}"
        else:
            incoming = f"|gy| = {_fmt(step.gy_norm)}"
        outgoing = []
        for i, (n, value) in enumerate(zip(step.gx_norms, step.gx_values)):
            if n is None:
                continue
            name = "gx" if _only_first(step.node.edges) else f"gx{i}"
            outgoing.append(f"{name} = {format_values(value)}" if value is not None
                            else f"|{name}| = {_fmt(n)}")
        return incoming + "  ->  " + (", ".join(outgoing) or "(no input needs a gradient)")

    def format_steps(self) -> str:
        """Every step, most recently created op first (the engine's order)."""
        lines = [f"backward trace: {len(self.steps)} steps (#1 ran first)"]
        for step in self.steps:
            edges = _without_trailing_nones(step.node.edges)
            inputs = ", ".join(self._input_label(e, s) for e, s in zip(edges, step.input_shapes))
            lines.append(f"#{step.index + 1:<3} {step.op:<12} {inputs} -> {_shape(step.out_shape)}")
            lines.append(f"     rule   {step.rule}")
            lines.append(f"     grads  {self._gradients(step)}")
        return "\n".join(lines)

    def summary(self) -> str:
        """One line per op type (calls, output shapes, gradient norms) and one per leaf
        (the norm of the gradient it received): readable for a whole network."""
        by_op: Dict[str, List[Step]] = {}
        for step in self.steps:
            by_op.setdefault(step.op, []).append(step)
        lines = [f"backward trace: {len(self.steps)} steps, {len(by_op)} op types",
                 f"{'op':<14}{'calls':>6}  {'|gy| mean':>10}{'|gy| max':>10}  output shapes"]
        for op, steps in by_op.items():
            norms = [s.gy_norm for s in steps]
            shapes = list(dict.fromkeys(_shape(s.out_shape) for s in steps))
            shown = ", ".join(shapes[:3]) + (", ..." if len(shapes) > 3 else "")
            lines.append(f"{op:<14}{len(steps):>6}  {_fmt(sum(norms) / len(norms)):>10}"
                         f"{_fmt(max(norms)):>10}  {shown}")
        grads = self.leaf_grads()
        if grads:
            width = max(14, max(len(name) for name in grads) + 2)
            lines.append("")
            lines.append(f"{'leaf':<{width}}{'shape':<20}{'|grad|':>10}")
            for name, g in grads.items():
                lines.append(f"{name:<{width}}{_shape(g.shape):<20}{_fmt(norm(g)):>10}")
        return "\n".join(lines)

    def __str__(self) -> str:
        if len(self.steps) <= FULL_LISTING_MAX:
            return self.format_steps()
        return (self.summary() + f"\n\n({len(self.steps)} steps: format_steps() lists them "
                "all, steps[i] gives one)")

    def __repr__(self) -> str:
        return f"<BackwardTrace: {len(self.steps)} steps>"
