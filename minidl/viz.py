"""Draw the graph that produced a tensor: Graphviz DOT text, Mermaid text, or an SVG/PNG file.

    print(minidl.viz.to_mermaid(loss, params=dict(model.named_parameters())))
    minidl.viz.render(loss, "graph.svg")  # needs Graphviz's `dot` program

What is drawn is exactly what the engine walks in ``loss.backward()``: starting at
``loss.grad_fn``, every node (an ellipse, named after its op, with its output's shape) and,
through ``Node.edges``, every input that needs a gradient -- another node, or a leaf
Tensor (a box with its name, shape, dtype and device). Arrows follow the forward pass, from
inputs to the op that used them; an op with several inputs labels its arrows x0, x1, ... as in
the op's derivative rule (the rule itself is the node's tooltip in an SVG).

An intermediate tensor has no node of its own (the graph keeps only its shape) unless you called
``retain_grad()`` on it: then it is drawn as a box between its op and their consumers, with its
values and gradient when you ask for them. A gradient computed with ``create_graph=True`` has a
graph of its own, which reaches back into the forward graph; it is drawn the same way.

``explore`` (from ``minidl/explorer.py``) makes the same graph a page to click through, with
its values, gradients and the backward pass replayed step by step.

Read next: ``minidl/explorer.py``, the graph and its backward pass as an interactive page;
then ``examples/scalar_backprop.py``, which traces and draws a small graph.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Dict, List, Optional, Sequence, Tuple, Union

from minidl import backend
from minidl.backward_trace import format_values, rule_of
from minidl.errors import MinidlError
from minidl.explorer import Explorer as Explorer  # re-exported: minidl.viz.explore, Explorer
from minidl.explorer import explore as explore
from minidl.node import Node
from minidl.tensor import Tensor

SHOW_VALUES_MAX = 16  # show_data / show_grad print tensors of at most this many elements
COLORS = {"op": "#e8e8e8", "leaf": "#cfe8cf", "output": "#fde2b8", "tensor": "#dde7f5"}
INSTALL_HINT = ("Install Graphviz, which provides it: `sudo apt-get install graphviz` (Debian, "
                "Ubuntu), `brew install graphviz` (macOS), `conda install graphviz`, or see "
                "https://graphviz.org/download/. Without it, to_dot() and to_mermaid() still "
                "give the graph as text (GitHub renders Mermaid blocks in Markdown).")


class GraphvizNotFound(MinidlError, RuntimeError):
    """``render`` needs Graphviz's ``dot`` program, and it is not on the PATH."""


class Graph:
    """The nodes and arrows of a graph, ready to be written in any text format.

    ``nodes``: (id, kind, label lines, tooltip) with kind "op", "leaf", "tensor" (a retained
    intermediate) or "output"; ``edges``: (from id, to id, label)."""

    def __init__(self):
        self.nodes: List[Tuple[str, str, List[str], str]] = []
        self.edges: List[Tuple[str, str, str]] = []
        self._ids: Dict[int, str] = {}  # id(Node or Tensor) -> node id
        self._keep: List[object] = []  # what the ids belong to, so no id() is reused meanwhile

    def node(self, obj: object, kind: str, lines: List[str], tooltip: str = "") -> str:
        """The node id of ``obj``, added on first sight."""
        key = id(obj)
        if key not in self._ids:
            self._ids[key] = f"n{len(self.nodes)}"
            self._keep.append(obj)
            self.nodes.append((self._ids[key], kind, lines, tooltip))
        return self._ids[key]

    def id_of(self, obj: object) -> str:
        return self._ids[id(obj)]

    def __contains__(self, obj: object) -> bool:
        return id(obj) in self._ids


def _tensor_lines(t: Tensor, name: Optional[str], show_data: bool, show_grad: bool) -> List[str]:
    lines = [name] if name else []
    lines.append(f"{tuple(t.shape)} {t.dtype} {t.device}")
    if show_data and t._array.size <= SHOW_VALUES_MAX:
        lines.append("data " + format_values(backend.to_host(t._array)))
    if show_grad and t.grad is not None and t.grad._array.size <= SHOW_VALUES_MAX:
        lines.append("grad " + format_values(backend.to_host(t.grad._array)))
    return lines


def build_graph(outputs: Union[Tensor, Sequence[Tensor]],
                params: Optional[Dict[str, Tensor]] = None, show_data: bool = False,
                show_grad: bool = False) -> Graph:
    """Walk the graph behind ``outputs`` (iteratively: graphs can be deep) into a ``Graph``."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    names = {id(t): name for name, t in (params or {}).items()}
    graph = Graph()

    def tensor_node(t: Tensor, kind: str) -> str:
        name = names.get(id(t)) or t.name or ("output" if kind == "output" else None)
        return graph.node(t, kind, _tensor_lines(t, name, show_data, show_grad))

    def anchor(fn: Node, kind: str = "tensor") -> str:
        """The node that stands for ``fn``'s output: its retained tensor if it has a live one
        (drawn after the op, as a ``kind`` node), else the op itself."""
        op = graph.node(fn, "op", [fn.op_name, str(tuple(fn.out_shape))], rule_of(fn.function))
        kept = fn._retained() if fn._retained is not None else None
        if kept is None:
            return op
        if kept not in graph:
            graph.edges.append((op, tensor_node(kept, kind), ""))
        return tensor_node(kept, kind)

    stack: List[Node] = []
    for out in outputs:
        if out.grad_fn is None:
            tensor_node(out, "output")
            continue
        fn = out.grad_fn
        drawn = fn in graph
        retained = fn._retained is not None and fn._retained() is out
        source = anchor(fn, "output" if retained else "tensor")
        if not retained:
            graph.edges.append((source, tensor_node(out, "output"), ""))
        if not drawn:
            stack.append(fn)
    while stack:
        fn = stack.pop()
        target = graph.id_of(fn)
        # Name the arrows x0, x1, ... when the op has several inputs, or its only one is not x0.
        used = [i for i, e in enumerate(fn.edges) if e is not None]
        labelled = used != [0]
        for i, edge in enumerate(fn.edges):
            if edge is None:
                continue
            if isinstance(edge, Tensor):
                source = tensor_node(edge, "leaf")
            else:
                if edge not in graph:
                    stack.append(edge)
                source = anchor(edge)
            graph.edges.append((source, target, f"x{i}" if labelled else ""))
    return graph


# ----------------------------------------------------------------------------------- formats
def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(output: Union[Tensor, Sequence[Tensor]], params: Optional[Dict[str, Tensor]] = None,
           show_data: bool = False, show_grad: bool = False) -> str:
    """The graph that produced ``output`` (a Tensor or a list of them) as Graphviz DOT text.

    ``params``: name -> Tensor (e.g. ``dict(model.named_parameters())``) to name the leaves;
    ``show_data`` / ``show_grad``: print the values / gradients of tensors of at most
    ``SHOW_VALUES_MAX`` elements."""
    graph = build_graph(output, params, show_data, show_grad)
    lines = ["digraph minidl {",
             '  node [fontname="Helvetica", fontsize=10, style=filled];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for node_id, kind, label, tooltip in graph.nodes:
        shape = "ellipse" if kind == "op" else "box"
        text = "\\n".join(_dot_text(line) for line in label)
        extra = f', tooltip="{_dot_text(tooltip)}"' if tooltip else ""
        lines.append(f'  {node_id} [label="{text}", shape={shape}, '
                     f'fillcolor="{COLORS[kind]}"{extra}];')
    for source, target, label in graph.edges:
        lines.append(f'  {source} -> {target}' + (f' [label="{label}"];' if label else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(output: Union[Tensor, Sequence[Tensor]],
               params: Optional[Dict[str, Tensor]] = None, show_data: bool = False,
               show_grad: bool = False) -> str:
    """The same graph as ``to_dot``, as Mermaid flowchart text (GitHub renders it in
    Markdown inside a ```mermaid block)."""
    graph = build_graph(output, params, show_data, show_grad)
    lines = ["flowchart TB"]
    for node_id, kind, label, _ in graph.nodes:
        text = "<br/>".join(_mermaid_text(line) for line in label)
        lines.append(f'  {node_id}(["{text}"])' if kind == "op" else f'  {node_id}["{text}"]')
    for source, target, label in graph.edges:
        lines.append(f"  {source} -->|{label}| {target}" if label else f"  {source} --> {target}")
    for kind, color in COLORS.items():
        members = [node_id for node_id, k, _, _ in graph.nodes if k == kind]
        if members:
            lines.append(f"  classDef {kind} fill:{color},stroke:#555")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def render(output: Union[Tensor, Sequence[Tensor]], path: str,
           params: Optional[Dict[str, Tensor]] = None, show_data: bool = False,
           show_grad: bool = False) -> str:
    """Draw the graph into ``path`` (.svg, .png or .pdf) with Graphviz's ``dot`` program and
    return ``path``. Raises ``GraphvizNotFound``, saying how to install it, when it is missing."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"render: cannot tell the format from {path!r}; end it in .svg, .png "
                         "or .pdf (to_dot() gives the DOT text itself)")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFound("render: Graphviz's `dot` program was not found on the PATH. "
                               + INSTALL_HINT)
    text = to_dot(output, params, show_data, show_grad)
    result = subprocess.run([dot, f"-T{fmt}", "-o", path], input=text.encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise MinidlError(f"render: dot failed: {result.stderr.decode(errors='replace')}")
    return path
