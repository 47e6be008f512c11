"""Which module made each node of a graph: the boxes that the explorer page draws and collapses.

A graph does not record which module ran an op, but the parameters it uses are named after their
module (``features.1.weight`` belongs to ``features.1``, inside ``features``). So:

1. an op that uses a parameter belongs to the parameter's module; an op that only reshapes one
   (one input, as many elements out as in: BatchNorm's weight viewed as (1, C, 1, 1)) counts as
   the parameter itself, so the op that uses the reshaped parameter joins the module too; an op
   using parameters of several modules belongs to the innermost module holding them all;
2. a module spans the sequence numbers (the creation order) of its ops, and an op that uses no
   parameter joins the innermost module whose span holds it: the ops a module runs between its
   parameter uses. (An op a module runs before its first or after its last parameter use, such
   as BatchNorm's normalization or a block's final ReLU, stays in the enclosing module: the graph
   alone cannot tell.)

Read next: ``examples/scalar_backprop.py``, which writes an explorer page for each of its graphs.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from minidl.node import Node
from minidl.tensor import Tensor


def _size(edge) -> int:
    """How many elements what an edge points at has: a leaf Tensor, or a Node's output."""
    shape = edge.shape if isinstance(edge, Tensor) else edge.out_shape
    return int(np.prod(shape, dtype=np.int64))


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _by_parameters(nodes: List[Node], leaves: List[Tensor],
                   leaf_names: Dict[int, Optional[str]]) -> Dict[int, str]:
    """Rule 1: id(leaf or node) -> module path, for parameters and the ops that use them."""
    where: Dict[int, str] = {}
    for leaf in leaves:
        name = leaf_names.get(id(leaf)) or ""
        if "." in name:
            where[id(leaf)] = _parent(name)
    parameter_of = dict(where)  # id -> module, for parameters and reshaped parameters
    for node in reversed(nodes):  # oldest first: a node's inputs come before it
        inputs = [e for e in node.edges if e is not None]
        used = [parameter_of[id(e)] for e in inputs if id(e) in parameter_of]
        if not used:
            continue
        path = used[0]
        for other in used[1:]:
            while path and not (other == path or other.startswith(path + ".")):
                path = _parent(path)
        if path:
            where[id(node)] = path
            if len(inputs) == 1 and _size(node) == _size(inputs[0]):
                parameter_of[id(node)] = path
    return where


def _by_span(nodes: List[Node], where: Dict[int, str]) -> None:
    """Rule 2: place the ops without parameters, in ``where``."""
    spans: Dict[str, List[int]] = {}  # module -> [first, last] sequence number of its ops
    for node in nodes:
        path = where.get(id(node))
        while path:
            span = spans.setdefault(path, [node.sequence_nr, node.sequence_nr])
            span[0] = min(span[0], node.sequence_nr)
            span[1] = max(span[1], node.sequence_nr)
            path = _parent(path)
    for node in nodes:
        if id(node) not in where:
            inside = [p for p, (lo, hi) in spans.items() if lo < node.sequence_nr < hi]
            if inside:
                where[id(node)] = max(inside, key=lambda p: p.count("."))


def module_boxes(nodes: List[Node], leaves: List[Tensor], leaf_names: Dict[int, Optional[str]],
                 classes: Dict[str, str]) -> Tuple[Dict[int, str], List[dict]]:
    """id(node or leaf) -> the innermost module it belongs to (see the module docstring); and
    the boxes, {"id": path, "parent": path or None, "type": class name or None}, outer first.

    ``nodes``: newest first; ``leaf_names``: id(leaf) -> its name; ``classes``: module path ->
    class name (empty when only parameter names are known)."""
    where = _by_parameters(nodes, leaves, leaf_names)
    _by_span(nodes, where)
    paths = set()
    for path in where.values():
        while path:
            paths.add(path)
            path = _parent(path)
    boxes = [{"id": p, "parent": _parent(p) or None, "type": classes.get(p)}
             for p in sorted(paths)]
    return where, boxes
