"""minidl.viz: DOT and Mermaid text of small known graphs, checked for structure (and through
Graphviz's ``dot`` when it is installed), gradient-of-gradient graphs, deep graphs, render()."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn, viz
from minidl.node import Node

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's `dot` program is not installed")


# --------------------------------------------------------------------------- structure checks
def dot_structure(text):
    """(labels by node id, edges) of DOT text, after checking that braces balance and every
    edge endpoint is declared."""
    assert text.startswith("digraph minidl {") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    labels = dict(re.findall(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M))
    edges = re.findall(r"^\s*(n\d+) -> (n\d+)", text, re.M)
    for a, b in edges:
        assert a in labels and b in labels, f"edge {a} -> {b} has an undeclared endpoint"
    return labels, edges


def mermaid_structure(text):
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart TB"
    labels, edges = {}, []
    for line in lines[1:]:
        assert line.count('"') % 2 == 0, line
        node = re.fullmatch(r'  (n\d+)(?:\(\["(.*)"\]\)|\["(.*)"\])', line)
        edge = re.fullmatch(r"  (n\d+) -->(?:\|x\d+\|)? (n\d+)", line)
        style = re.fullmatch(r"  (classDef \w+ fill:#[0-9a-f]{6},stroke:#555|class [n\d,]+ \w+)",
                             line)
        assert node or edge or style, f"not Mermaid flowchart syntax: {line!r}"
        if node:
            labels[node.group(1)] = node.group(2) or node.group(3)
        if edge:
            edges.append(edge.groups())
    for a, b in edges:
        assert a in labels and b in labels, f"edge {a} --> {b} has an undeclared endpoint"
    return labels, edges


def check_with_dot(text):
    if DOT is not None:
        result = subprocess.run([DOT, "-Tsvg"], input=text.encode(), capture_output=True)
        assert result.returncode == 0, result.stderr.decode()


def functions_of(output):
    """Every node in the graph behind ``output`` (the reference viz must match)."""
    seen, stack = {}, [output.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen[id(fn)] = fn
        stack.extend(e for e in fn.edges if isinstance(e, Node))
    return list(seen.values())


def scalar_expression():
    a = minidl.tensor(2.0, requires_grad=True)
    b = minidl.tensor(-3.0, requires_grad=True)
    c = minidl.tensor(10.0, requires_grad=True)
    a.name, b.name, c.name = "a", "b", "c"
    return a, b, c, (a * b + c).tanh()


# --------------------------------------------------------------------------- small graphs
def test_dot_has_every_op_and_tensor_of_a_scalar_expression():
    a, b, c, out = scalar_expression()
    text = viz.to_dot(out)
    labels, edges = dot_structure(text)
    check_with_dot(text)
    names = [label.split("\\n")[0] for label in labels.values()]
    assert sorted(names) == sorted(["Mul", "Add", "Tanh", "a", "b", "c", "output"])
    assert len(edges) == 6  # a, b -> Mul -> Add <- c; Add -> Tanh -> output
    assert "() float32 cpu" in text


def test_mermaid_has_the_same_graph_as_dot():
    *_, out = scalar_expression()
    dot_labels, dot_edges = dot_structure(viz.to_dot(out))
    labels, edges = mermaid_structure(viz.to_mermaid(out))
    assert sorted(edges) == sorted(dot_edges)
    assert {k: v.replace("<br/>", "\\n") for k, v in labels.items()} == dot_labels


def test_an_input_used_twice_gets_two_labelled_arrows():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    labels, edges = dot_structure(viz.to_dot(x * x))
    (x_id,) = [k for k, v in labels.items() if v.startswith("(2,)")]
    assert [a for a, _ in edges].count(x_id) == 2
    assert re.search(r'n\d+ -> n\d+ \[label="x0"\]', viz.to_dot(x * x))
    assert re.search(r'n\d+ -> n\d+ \[label="x1"\]', viz.to_dot(x * x))


def test_parameter_names_shapes_and_every_op_of_a_model():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(minidl.randn(5, 3)).sum()
    text = viz.to_dot(loss, params=dict(model.named_parameters()))
    labels, _ = dot_structure(text)
    check_with_dot(text)
    for name, p in model.named_parameters():
        assert f"{name}\\n{tuple(p.shape)} float32 cpu" in labels.values()
    ops = sorted(v.split("\\n")[0] for k, v in labels.items() if v.split("\\n")[0][0].isupper())
    assert ops == sorted(fn.op_name for fn in functions_of(loss))


def test_show_data_and_grad_print_small_tensors():
    a, b, c, out = scalar_expression()
    out.backward()
    text = viz.to_dot(out, show_data=True, show_grad=True)
    assert "data 2" in text and "data -3" in text
    assert f"grad {a.grad.item():.4g}" in text
    big = minidl.ones(100, requires_grad=True)
    assert "data" not in viz.to_dot(big * 2, show_data=True)


def test_a_retained_intermediate_is_drawn_between_its_op_and_its_consumer():
    a, b, c, _ = scalar_expression()
    e = a * b
    e.retain_grad()
    e.name = "e"
    out = (e + c).tanh()
    out.backward()
    labels, edges = dot_structure(viz.to_dot(out, show_grad=True))
    by_name = {v.split("\\n")[0]: k for k, v in labels.items()}
    assert (by_name["Mul"], by_name["e"]) in edges
    assert (by_name["e"], by_name["Add"]) in edges
    assert f"grad {e.grad.item():.4g}" in labels[by_name["e"]]


def test_gradient_of_gradient_graph():
    x = minidl.tensor([0.5, -1.0], requires_grad=True)
    x.name = "x"
    y = (x.tanh() * x).sum()
    g, = minidl.grad(y, x, create_graph=True)
    text = viz.to_dot(g)
    labels, edges = dot_structure(text)
    check_with_dot(text)
    mermaid_structure(viz.to_mermaid(g))
    names = [v.split("\\n")[0] for v in labels.values()]
    assert "TanhGrad" in names  # the backward rule's own op ...
    assert "Tanh" in names  # ... reaching back into the forward graph through its saved y
    assert names.count("x") == 1  # one leaf, drawn once
    assert len(labels) == len(functions_of(g)) + 2  # + the leaf x and the output


def test_several_outputs_share_one_drawing():
    a, b, c, out = scalar_expression()
    other = a * c
    labels, _ = dot_structure(viz.to_dot([out, other]))
    assert [v.split("\\n")[0] for v in labels.values()].count("a") == 1
    assert [v.split("\\n")[0] for v in labels.values()].count("output") == 2


def test_a_tensor_without_a_graph_is_one_node():
    labels, edges = dot_structure(viz.to_dot(minidl.ones(3)))
    assert list(labels.values()) == ["output\\n(3,) float32 cpu"] and edges == []


def test_deep_graphs_are_walked_without_recursion():
    x = minidl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    labels, edges = dot_structure(viz.to_dot(y))
    assert len(labels) == 5002 and len(edges) == 5001


def test_labels_are_escaped():
    x = minidl.tensor(1.0, requires_grad=True)
    x.name = 'say "hi" \\ <b>'
    text = viz.to_dot(x * 2)
    dot_structure(text)
    check_with_dot(text)
    labels, _ = mermaid_structure(viz.to_mermaid(x * 2))
    assert any("#quot;hi#quot;" in v and "#lt;b#gt;" in v for v in labels.values())


@needs_dot
def test_graphviz_parses_every_drawing():
    a, b, c, out = scalar_expression()
    out.backward()
    x = minidl.tensor([0.5, -1.0], requires_grad=True)
    g, = minidl.grad((x.tanh() * x).sum(), x, create_graph=True)
    for text in (viz.to_dot(out, show_data=True, show_grad=True), viz.to_dot(g),
                 viz.to_dot([out, a * c])):
        result = subprocess.run([DOT, "-Tsvg"], input=text.encode(), capture_output=True)
        assert result.returncode == 0, result.stderr.decode()


# --------------------------------------------------------------------------- render
@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_render_writes_a_file(tmp_path, suffix):
    *_, out = scalar_expression()
    path = viz.render(out, str(tmp_path / f"graph.{suffix}"))
    data = open(path, "rb").read()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data


def test_render_without_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    *_, out = scalar_expression()
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
        viz.render(out, str(tmp_path / "graph.svg"))


def test_render_needs_a_known_suffix(tmp_path):
    *_, out = scalar_expression()
    with pytest.raises(ValueError, match=r"\.svg"):
        viz.render(out, str(tmp_path / "graph"))


# --------------------------------------------------------------------------- property
UNARY = [minidl.exp, minidl.tanh, minidl.sigmoid, minidl.sin, lambda t: t * 2.0]
BINARY = [minidl.add, minidl.mul, minidl.sub, minidl.maximum]


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 10),
                          st.integers(0, 10)), min_size=1, max_size=25))
def test_random_graphs_are_drawn_whole(program):
    """Each instruction applies a unary or binary op to earlier values; the drawing must have
    one op node per Function, one box per leaf plus the output, and valid syntax."""
    leaves = [minidl.tensor(np.full(2, 0.1 * i), requires_grad=True) for i in range(3)]
    values = list(leaves)
    for binary, op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(BINARY[op](a, b) if binary else UNARY[op % len(UNARY)](a))
    out = values[-1]
    labels, edges = dot_structure(viz.to_dot(out))
    mermaid_structure(viz.to_mermaid(out))
    functions = functions_of(out)
    used_leaves = {id(e) for fn in functions for e in fn.edges if isinstance(e, minidl.Tensor)}
    assert len(labels) == len(functions) + len(used_leaves) + 1  # + the output
    assert len(edges) == sum(e is not None for fn in functions for e in fn.edges) + 1


# --------------------------------------------------------------------------- the example
def test_scalar_backprop_example_checks_every_gradient_and_draws(tmp_path):
    script = Path(__file__).resolve().parent.parent / "examples" / "scalar_backprop.py"
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("every gradient matches its finite difference") == 2
    out = tmp_path / "runs" / "scalar_backprop"
    for stem in ("expression", "two_neurons"):
        dot_structure((out / f"{stem}.dot").read_text())
        mermaid_structure((out / f"{stem}.mmd").read_text())
        assert (out / f"{stem}.svg").exists() == (DOT is not None)
