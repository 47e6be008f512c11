"""Backprop you can watch: the graph behind a tensor and its backward pass, as one HTML page.

    page = minidl.viz.explore(loss, params=model)   # or dict(model.named_parameters())
    page.save("backward.html")                       # open it in any browser: no server needed

``explore`` walks the graph from ``loss`` (as ``minidl/viz.py`` does), then runs one backward
pass of its own inside ``minidl.autograd.trace()``, so the page replays the steps in the
engine's own order. That pass is ``minidl.grad(..., retain_graph=True)``: it touches no
``.grad`` and frees nothing, so ``loss.backward()`` can still come after (hooks on the graph
do see it). Call ``explore`` before a ``backward()`` that frees the graph, or pass that
``backward`` ``retain_graph=True``.

For every node the page gets: its op and output shape, its derivative rule (the first paragraph
of the op's docstring), its forward value, the gradient that reached it and what it sent to each
input, and what it saved for backward. Tensors of at most ``FULL_MAX`` elements are embedded
whole; bigger ones as min/mean/max, a histogram and their size (``describe``), which keeps the
page of a whole CNN small.

A node's forward value is not kept by the graph itself: a node remembers what produced its
inputs, not what it output. The page shows the values that something still holds: the output,
tensors named in ``params`` (intermediate tensors may be named there too), tensors that called
``retain_grad()``, and every tensor that a node saved for backward (``Tanh`` saves its output,
``Mul`` its inputs, ...). The others are marked "not kept", which is itself worth seeing.

Modules become boxes that the page can collapse: the parameters name their modules, and
``minidl/module_boxes.py`` places every op in one. Passing the model itself as ``params`` also
names each box's class.

With ``grad_of=y``, the graph of a gradient of ``y`` taken with ``create_graph=True`` has its
second-order nodes marked: those created after ``y``, by that backward pass or from its results.

The page (HTML, CSS, and the layout and viewer in JavaScript) lives in
``minidl/explorer_page/``; the data it draws is embedded in it as JSON (``Explorer.data``).

Read next: ``minidl/module_boxes.py``, which finds the module of each node.
"""
from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np

from minidl import autograd, backend
from minidl.autograd import BackwardTrace
from minidl.errors import AutogradError
from minidl.module_boxes import module_boxes
from minidl.nn.parameter import Parameter
from minidl.node import Node
from minidl.tensor import Tensor

FULL_MAX = 64  # tensors with at most this many elements are embedded whole
BINS = 20  # histogram bins in the summary of a bigger tensor
COLLAPSE_OVER = 30  # graphs of more nodes than this open with every module box collapsed
PAGE = Path(__file__).parent / "explorer_page"
SCRIPTS = ("layout.js", "panel.js", "view.js", "explorer.js")  # put inline in this order

Params = Union[Mapping[str, Tensor], Iterable[Tuple[str, Tensor]], Any]


# ----------------------------------------------------------------------- arrays as JSON
def _number(v) -> Union[float, int, bool, str]:
    """A JSON number; non-finite floats become the strings "nan", "inf", "-inf"."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def _nested(value):
    if isinstance(value, list):
        return [_nested(v) for v in value]
    return _number(value)


def _histogram(a: np.ndarray, lo: float, hi: float) -> List[int]:
    """Counts of ``a``'s values in ``BINS`` equal bins from ``lo`` to ``hi`` (the last bin
    includes ``hi``). Bin indices and one ``bincount``: faster than ``np.histogram``."""
    if hi == lo:
        return [0] * (BINS // 2) + [int(a.size)] + [0] * (BINS - BINS // 2 - 1)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    scale = BINS / (hi - lo)
    index = ((a.reshape(-1) - a.dtype.type(lo)) * a.dtype.type(scale)).astype(np.intp)
    np.clip(index, 0, BINS - 1, out=index)
    return np.bincount(index, minlength=BINS).tolist()


def describe(array) -> Tuple[Union[list, float, dict], float]:
    """An array for the page, and the root mean square of its elements (the size of a
    gradient per element, which the page colours by: comparable between tensors of any size).

    The array is given whole, as nested lists, when it has at most ``FULL_MAX`` elements, else
    summarised: min, mean, max, std, the count of non-finite values and a histogram of the
    finite ones ({"lo", "hi", "counts"}), computed in the tensor's own dtype with sums in
    float64."""
    a = backend.to_host(array)
    if a.dtype.kind not in "fiu":  # bool (a mask): as numbers
        a = a.astype(np.float64)
    if a.size <= FULL_MAX:
        squares = a.astype(np.float64) ** 2
        return _nested(a.tolist()), float(np.sqrt(squares.mean())) if a.size else 0.0
    lo, hi = float(a.min()), float(a.max())
    finite = a
    if not (math.isfinite(lo) and math.isfinite(hi)):  # (a NaN makes min and max NaN)
        finite = a[np.isfinite(a)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    summary: Dict[str, Any] = {"size": int(a.size), "nonfinite": int(a.size - finite.size)}
    if not finite.size:
        return summary, 0.0
    mean = float(finite.mean(dtype=np.float64))
    std = float(finite.std(dtype=np.float64))
    summary.update(min=lo, mean=mean, max=hi, std=std,
                   histogram={"lo": lo, "hi": hi, "counts": _histogram(finite, lo, hi)})
    return summary, math.sqrt(mean * mean + std * std)  # mean of squares = mean^2 + var


# ----------------------------------------------------------------------- the backward pass
class _Recorder(BackwardTrace):
    """``minidl.autograd.trace()``, also keeping what the page shows of each gradient: the one
    that reached each node (``gy``) and, broadcasting undone, what it sent to each input."""

    def __init__(self):
        super().__init__()
        self.gradients: List[Tuple[tuple, list]] = []  # per step: describe(gy), describe(gx)s
        # A gradient sent to a node with one consumer is the gy that node gets: described once.
        self._described: Dict[int, Tuple[Any, tuple]] = {}  # id(array) -> (array, description)

    def _describe(self, array) -> tuple:
        if id(array) not in self._described:
            self._described[id(array)] = (array, describe(array))  # (array: keeps the id)
        return self._described[id(array)][1]

    def __call__(self, node: Node, gy: Tensor, gxs: tuple) -> None:
        super().__call__(node, gy, gxs)
        sends = []
        for edge, gx in zip(node.edges, gxs):
            if edge is None or gx is None:
                sends.append(None)
                continue
            shape = edge.shape if isinstance(edge, Tensor) else edge.out_shape
            if tuple(gx.shape) != tuple(shape):
                gx = gx.sum_to(shape)  # as the engine delivers it
            sends.append(self._describe(gx._array))
        self.gradients.append((self._describe(gy._array), sends))


# ----------------------------------------------------------------------- the graph
def _named(params: Params) -> Tuple[Dict[int, Tuple[str, Tensor]], Dict[str, str]]:
    """id(tensor) -> (name, tensor) from ``params``, and module path -> class name when
    ``params`` is a Module."""
    if params is None:
        return {}, {}
    classes = {}
    if hasattr(params, "named_parameters") and hasattr(params, "named_modules"):
        classes = {path: type(m).__name__ for path, m in params.named_modules() if path}
        params = params.named_parameters()
    items = params.items() if isinstance(params, Mapping) else params
    names = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"explore: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        names[id(t)] = (str(name), t)
    return names, classes


def _walk(output: Tensor) -> Tuple[List[Node], List[Tensor]]:
    """The nodes behind ``output`` (newest first: the engine's order) and its leaves (in the
    order first met). Iterative, as graphs can be deep."""
    nodes: Dict[int, Node] = {}
    leaves: Dict[int, Tensor] = {}
    stack = [output.grad_fn] if output.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        for edge in node.edges:
            if isinstance(edge, Tensor):
                leaves.setdefault(id(edge), edge)
            elif edge is not None:
                stack.append(edge)
    ordered = sorted(nodes.values(), key=lambda n: -n.sequence_nr)
    if output.grad_fn is None:
        leaves[id(output)] = output
    return ordered, list(leaves.values())


def _saved(node: Node) -> tuple:
    """What ``node`` saved, as its backward rule will see it (the engine's own checks)."""
    try:
        return node.saved_tensors
    except AutogradError as error:  # freed by a backward(), or changed in place since
        raise AutogradError(f"explore replays the backward pass, which cannot run: {error} "
                            "(call explore() before backward(): it leaves the graph as it "
                            "found it)") from error


def _saved_entries(node: Node, saved: tuple, ids: Dict[int, str]) -> List[dict]:
    """What ``node`` saved for backward: which input, its output, or another array/number."""
    entries = []
    for s in saved:
        if s is None:
            continue
        if not isinstance(s, Tensor):
            entries.append({"what": "number", "value": _number(s)})
            continue
        if s.grad_fn is node:
            entries.append({"what": "output", "shape": list(s.shape)})
            continue
        made_by = s if s.grad_fn is None else s.grad_fn
        inputs = [i for i, e in enumerate(node.edges) if e is not None and e is made_by]
        if inputs:
            entries.append({"what": f"input x{inputs[0]}", "of": ids.get(id(made_by)),
                            "shape": list(s.shape)})
        else:  # an input that needs no gradient, or an array forward made (a mask, ...)
            entries.append({"what": "array", "shape": list(s.shape), "dtype": str(s.dtype),
                            "value": describe(s._array)[0]})
    return entries


def _forward_values(output: Tensor, names: Dict[int, Tuple[str, Tensor]], nodes: List[Node],
                    saved: Dict[int, tuple]) -> Tuple[Dict[int, Any], Dict[int, str]]:
    """id(node) -> the array it output, from every live tensor that holds one (the output,
    tensors named in ``params``, retained tensors, saved tensors); id(node) -> a name, from
    ``params`` or from such a tensor's ``.name``."""
    values: Dict[int, Any] = {}
    node_names: Dict[int, str] = {}
    holders = [output] + [t for _, t in names.values()]
    for node in nodes:
        holders.append(node._retained() if node._retained is not None else None)
        holders += [s for s in saved[id(node)] if isinstance(s, Tensor)]
    for t in holders:
        if t is not None and t.grad_fn is not None:
            values.setdefault(id(t.grad_fn), t._array)
            if t.name:
                node_names.setdefault(id(t.grad_fn), t.name)
    for name, t in names.values():
        if t.grad_fn is not None:
            node_names[id(t.grad_fn)] = name
    return values, node_names


def _backward(output: Tensor, leaves: List[Tensor]) -> Tuple[_Recorder, tuple]:
    """One backward pass from ``output`` (seeded with ones), recorded step by step; and the
    gradient of each leaf, as ``minidl.grad`` returns it (no ``.grad`` is touched)."""
    recorder = _Recorder()
    seed = Tensor._make(backend.get_array_module(output._array).ones_like(output._array), False)
    with recorder:
        grads = autograd.grad(output, leaves, seed, retain_graph=True, allow_unused=True)
    return recorder, grads


def _collect(output: Tensor, params: Params, grad_of: Optional[Tensor]) -> dict:
    """``Explorer.data``: the nodes, the steps of the backward pass and the module boxes."""
    names, classes = _named(params)
    nodes, leaves = _walk(output)
    ids = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    ids.update((id(t), f"n{len(nodes) + i}") for i, t in enumerate(leaves))
    saved = {id(n): _saved(n) for n in nodes}
    values, node_names = _forward_values(output, names, nodes, saved)
    leaf_names = {id(t): names[id(t)][0] if id(t) in names else t.name for t in leaves}
    recorder, leaf_grads = _backward(output, leaves) if nodes else (_Recorder(), ())
    where, boxes = module_boxes(nodes, leaves, leaf_names, classes)
    boundary = None
    if grad_of is not None and grad_of.grad_fn is not None:
        boundary = grad_of.grad_fn.sequence_nr

    table: Dict[int, dict] = {}
    for node in nodes:
        edges = list(node.edges)
        while edges and edges[-1] is None:  # trailing arguments that take no gradient
            edges.pop()
        table[id(node)] = {
            "id": ids[id(node)], "op": node.function.__name__, "shape": list(node.out_shape),
            "dtype": str(node.out_dtype), "name": node_names.get(id(node)),
            "inputs": [None if e is None else ids[id(e)] for e in edges],
            "value": describe(values[id(node)])[0] if id(node) in values else None,
            "grad": None, "grad_rms": None, "rule": "", "step": None,
            "saved": _saved_entries(node, saved[id(node)], ids), "module": where.get(id(node)),
            "second_order": boundary is not None and node.sequence_nr > boundary}
    steps = []
    for index, (step, ((gy, gy_rms), sends)) in enumerate(zip(recorder.steps,
                                                               recorder.gradients)):
        entry = table[id(step.node)]
        entry.update(grad=gy, grad_rms=gy_rms, rule=step.rule, step=index)
        steps.append({"node": entry["id"], "sends": [
            {"input": i, "to": ids[id(edge)], "grad": sent[0], "rms": sent[1]}
            for i, (edge, sent) in enumerate(zip(step.node.edges, sends)) if sent is not None]})
    for leaf, g in zip(leaves, leaf_grads or [None] * len(leaves)):
        grad, grad_rms = describe(g._array) if g is not None else (None, None)
        table[id(leaf)] = {
            "id": ids[id(leaf)], "op": "leaf", "shape": list(leaf.shape),
            "dtype": str(leaf.dtype), "name": leaf_names[id(leaf)], "inputs": [],
            "value": describe(leaf._array)[0], "grad": grad, "grad_rms": grad_rms, "rule": "",
            "step": None, "saved": [], "module": where.get(id(leaf)), "second_order": False,
            "parameter": isinstance(leaf, Parameter)}
    return {"nodes": list(table.values()), "steps": steps, "modules": boxes,
            "output": ids[id(output.grad_fn) if output.grad_fn is not None else id(output)],
            "seed": "1" if output._array.size == 1 else "ones",
            "collapsed": len(table) > COLLAPSE_OVER}


# ----------------------------------------------------------------------- the page
class Explorer:
    """The page of one graph: ``save(path)`` writes it; Jupyter shows it inline
    (``_repr_html_``); ``data`` is what the page draws, as embedded in it (JSON):

    * ``nodes``: one per op and per leaf, each ``{"id", "op"`` (the Function's name, or
      ``"leaf"``), ``"shape", "dtype", "name", "inputs"`` (the ids of what made each input, None
      for one that takes no gradient), ``"value", "grad"`` (see ``describe``; None when not
      known), ``"grad_rms", "rule", "step"`` (its index in ``steps``), ``"saved", "module",
      "second_order"}`` (and ``"parameter"`` for a leaf);
    * ``steps``: the backward pass in the engine's order, each ``{"node", "sends": [{"input",
      "to", "grad", "rms"}, ...]}``;
    * ``modules``: the boxes, ``{"id", "parent", "type"}``; ``output``: the output's node id;
      ``seed``: the gradient the pass started from (``"1"``, or ``"ones"``); ``collapsed``:
      whether the page opens with the modules collapsed."""

    def __init__(self, data: dict, title: str = "minidl backward explorer"):
        self.data = data
        self.title = title

    def html(self) -> str:
        """The whole page, with its styles, scripts and data inline: nothing is fetched."""
        # "<" escaped: the JSON sits in a <script> element, which "</script>" would close.
        graph = json.dumps(self.data, allow_nan=False, separators=(",", ":"))
        parts = {"STYLE": (PAGE / "explorer.css").read_text(encoding="utf-8"),
                 "SCRIPT": "\n".join((PAGE / name).read_text(encoding="utf-8")
                                     for name in SCRIPTS),
                 "GRAPH": graph.replace("<", "\\u003c"), "TITLE": html.escape(self.title)}
        page = (PAGE / "page.html").read_text(encoding="utf-8")
        # One pass, so that no marker is looked for inside what was put in.
        return re.sub(r"/\*(STYLE|SCRIPT|GRAPH|TITLE)\*/", lambda m: parts[m.group(1)], page)

    def save(self, path: Union[str, Path]) -> str:
        """Write the page to ``path`` (UTF-8) and return ``path``."""
        Path(path).write_text(self.html(), encoding="utf-8")
        return str(path)

    def _repr_html_(self) -> str:
        # In an iframe: the page's styles and scripts stay out of the notebook's.
        return (f'<iframe srcdoc="{html.escape(self.html())}" style="width:100%;height:640px;'
                'border:1px solid #ccc" sandbox="allow-scripts"></iframe>')

    def __repr__(self) -> str:
        return f"<Explorer: {len(self.data['nodes'])} nodes, {len(self.data['steps'])} steps>"


def explore(output: Tensor, params: Params = None, path: Optional[Union[str, Path]] = None,
            *, grad_of: Optional[Tensor] = None) -> Explorer:
    """The explorer page of the graph behind ``output`` and of its backward pass (see the
    module docstring); also saved to ``path`` when given.

    ``params`` names tensors: a dict name -> Tensor, ``model.named_parameters()``, or the model
    (its parameter names, and its module classes for the boxes). ``grad_of``: the tensor whose
    ``create_graph=True`` gradient ``output`` is made from; marks the second-order nodes."""
    if not isinstance(output, Tensor):
        raise TypeError(f"explore: output must be a Tensor, not {type(output).__name__}")
    if grad_of is not None and not isinstance(grad_of, Tensor):
        raise TypeError(f"explore: grad_of must be a Tensor, not {type(grad_of).__name__}")
    explorer = Explorer(_collect(output, params, grad_of))
    if path is not None:
        explorer.save(path)
    return explorer
