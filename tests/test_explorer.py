"""minidl.viz.explore: the data an explorer page draws (checked against backward(), trace() and
NumPy), the page being one self-contained file, and its errors. What a person sees in a browser
is tested in tests/test_explorer_browser.py.

Read next: ``tests/test_explorer_browser.py``.
"""
import html
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fake_device import FakeArray, fake

import minidl
import minidl.nn.functional as F
from minidl import explorer, nn, viz
from minidl.errors import AutogradError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def scalar(value, name):
    t = minidl.tensor(value, dtype=minidl.float64, requires_grad=True)
    t.name = name
    return t


def expression():
    """examples/scalar_backprop.py's expression: L = tanh((a*b + c) * f / 4) + sqrt(a*b + c)."""
    a, b, c, f = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c"), scalar(-2.0, "f")
    d = a * b + c
    L = ((d * f) / 4).tanh() + d.sqrt()
    return (a, b, c, f), d, L


def by_name(data):
    return {n["name"]: n for n in data["nodes"] if n["name"]}


def mlp():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = minidl.randn(5, 4)
    y = minidl.tensor([0, 1, 2, 1, 0])
    return model, x, y


class CNN(nn.Module):
    """The default CNN of examples/train_mnist.py (width 16)."""

    def __init__(self, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(width, 2 * width, 3, padding=1, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(),
                                  nn.Dropout(0.25), nn.Linear(128, 10))

    def forward(self, x):
        return self.head(self.features(x))


def cnn_loss(batch=16):
    minidl.manual_seed(0)
    model = CNN()
    x = minidl.randn(batch, 1, 28, 28)
    y = minidl.randint(0, 10, (batch,))
    return model, F.cross_entropy(model(x), y)


# --------------------------------------------------------------------------- the data
def test_scalar_expression_gradients_values_and_steps_match_the_engine():
    leaves, d, L = expression()
    d.name = "d"
    d.retain_grad()
    data = viz.explore(L).data
    for t in leaves:
        assert t.grad is None  # explore touched no .grad
    with minidl.autograd.trace() as trace:
        L.backward()  # the graph is intact after explore
    named = by_name(data)
    for t in leaves:
        assert named[t.name]["op"] == "leaf"
        assert named[t.name]["grad"] == t.grad.item()
        assert named[t.name]["value"] == t.item()
    assert named["d"]["value"] == 4.0 and named["d"]["op"] == "Add"
    assert named["d"]["grad"] == d.grad.item()
    # the steps: the engine's order, each with the gradient the engine passed
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(data["steps"]) == len(trace.steps) == 7
    for shown, step in zip(data["steps"], trace.steps):
        node = nodes[shown["node"]]
        assert (node["op"], tuple(node["shape"])) == (step.op, step.out_shape)
        assert node["grad"] == pytest.approx(float(step.gy_value), rel=1e-15)
        assert node["rule"] == step.rule and node["rule"]
        sent = {s["input"]: s["grad"] for s in shown["sends"]}
        expected = {i: float(v) for i, v in enumerate(step.gx_values) if v is not None}
        assert sent == pytest.approx(expected, rel=1e-15)
    assert [n["step"] for n in data["nodes"] if n["op"] != "leaf"] == list(range(7))
    assert nodes[data["output"]]["op"] == "Add" and data["seed"] == "1"


def test_every_node_and_leaf_once_with_its_inputs():
    leaves, _, L = expression()
    data = viz.explore(L).data
    ops = [n for n in data["nodes"] if n["op"] != "leaf"]
    assert sorted(n["op"] for n in ops) == sorted(["Mul", "Add", "Mul", "Div", "Tanh", "Sqrt",
                                                   "Add"])
    assert len(data["nodes"]) == 7 + 4 == len({n["id"] for n in data["nodes"]})
    ids = {n["id"] for n in data["nodes"]}
    for n in ops:
        assert all(i is None or i in ids for i in n["inputs"])
    div = next(n for n in ops if n["op"] == "Div")
    assert div["inputs"] == [div["inputs"][0]] and div["value"] is None  # 4 is no graph input


def test_what_each_node_saved():
    leaves, _, L = expression()
    data = viz.explore(L).data
    ops = {n["op"]: n for n in data["nodes"]}
    assert [s["what"] for s in ops["Tanh"]["saved"]] == ["output"]
    a_times_b = next(n for n in data["nodes"] if n["op"] == "Mul" and n["inputs"][0] is not None
                     and by_id(data, n["inputs"][0])["name"] == "a")
    assert [s["what"] for s in a_times_b["saved"]] == ["input x0", "input x1"]
    assert [by_id(data, s["of"])["name"] for s in a_times_b["saved"]] == ["a", "b"]
    minidl.manual_seed(0)
    x = minidl.randn(4, 5, requires_grad=True)
    dropped = F.dropout(x, 0.5, training=True).sum()
    node = next(n for n in viz.explore(dropped).data["nodes"] if n["op"] == "Mul")
    mask = [s for s in node["saved"] if s["what"] == "array"]
    assert mask and np.array(mask[0]["value"]).shape == (4, 5)  # the dropout mask, whole


def by_id(data, node_id):
    return next(n for n in data["nodes"] if n["id"] == node_id)


def test_mlp_gradients_modules_and_parameters():
    model, x, y = mlp()
    data = viz.explore(F.cross_entropy(model(x), y), model).data
    F.cross_entropy(model(x), y).backward()
    named = by_name(data)
    for name, p in model.named_parameters():
        assert named[name]["parameter"] is True
        assert np.array_equal(np.array(named[name]["grad"]), p.grad.numpy())
        assert named[name]["grad_rms"] == pytest.approx(math.sqrt(np.mean(p.grad.numpy() ** 2)))
        assert named[name]["module"] == name.split(".")[0]
    assert data["modules"] == [{"id": "0", "parent": None, "type": "Linear"},
                              {"id": "2", "parent": None, "type": "Linear"}]
    ops = [n for n in data["nodes"] if n["op"] != "leaf"]
    assert [(n["op"], n["module"]) for n in ops] == [("CrossEntropy", None), ("Linear", "2"),
                                                    ("Tanh", None), ("Linear", "0")]
    assert data["collapsed"] is False


def test_a_graph_on_another_device_gives_the_same_page(fake):
    """Arrays of another device (the stand-in "fake", as CuPy's would be) are read through the
    backend: the page's data is the same as on the CPU."""
    model, x, y = mlp()
    on_cpu = viz.explore(F.cross_entropy(model(x), y), model).data
    model.to(fake)
    loss = F.cross_entropy(model(x.to(fake)), y.to(fake))
    assert type(loss._array) is FakeArray
    assert viz.explore(loss, model).data == on_cpu


def test_named_parameters_and_intermediates_name_nodes():
    model, x, y = mlp()
    hidden = model[1](model[0](x))
    loss = F.cross_entropy(model[2](hidden), y)
    data = viz.explore(loss, {"hidden": hidden, **dict(model.named_parameters())}).data
    named = by_name(data)
    assert named["hidden"]["op"] == "Tanh"
    assert np.allclose(np.array(named["hidden"]["value"]), hidden.detach().numpy())
    assert "0.weight" in named and data["modules"][0]["type"] is None  # no model: no classes


def test_big_tensors_are_summarised():
    minidl.manual_seed(1)
    w = minidl.randn(50, 40, requires_grad=True)
    w.name = "w"
    data = viz.explore((w * w).sum()).data
    leaf = by_name(data)["w"]
    values = w.detach().numpy().astype(np.float64)
    summary = leaf["value"]
    assert summary["size"] == 2000 and summary["nonfinite"] == 0
    assert summary["min"] == pytest.approx(values.min()) and summary["max"] == values.max()
    assert summary["mean"] == pytest.approx(values.mean())
    assert summary["std"] == pytest.approx(values.std())
    counts = summary["histogram"]["counts"]
    assert len(counts) == explorer.BINS and sum(counts) == 2000
    expected, _ = np.histogram(values, bins=explorer.BINS, range=(values.min(), values.max()))
    assert np.abs(np.array(counts) - expected).sum() <= 4  # (float32 rounding at bin edges)
    assert leaf["grad"]["mean"] == pytest.approx(2 * values.mean(), rel=1e-5)


def test_describe_small_big_and_non_finite():
    assert explorer.describe(np.array(2.5)) == (2.5, 2.5)
    nested, size = explorer.describe(np.array([[1.0, -np.inf], [np.nan, 3.0]]))
    assert nested == [[1.0, "-inf"], ["nan", 3.0]] and math.isnan(size)
    big = np.arange(100, dtype=np.float32)
    big[3] = np.nan
    summary, size = explorer.describe(big)
    assert summary["nonfinite"] == 1 and summary["min"] == 0 and summary["max"] == 99
    assert sum(summary["histogram"]["counts"]) == 99
    finite = np.delete(np.arange(100.0), 3)
    assert size == pytest.approx(math.sqrt(np.mean(finite ** 2)))
    assert explorer.describe(np.ones(70, dtype=bool))[0]["mean"] == 1.0
    assert explorer.describe(np.full(80, 7.0))[0]["histogram"]["counts"][explorer.BINS // 2] == 80


def test_non_scalar_output_is_seeded_with_ones():
    x = scalar([1.0, 2.0, 3.0], "x")
    data = viz.explore(x * x).data
    assert data["seed"] == "ones"
    assert by_name(data)["x"]["grad"] == [2.0, 4.0, 6.0]


def test_output_without_a_graph_is_one_node():
    data = viz.explore(minidl.tensor([1.0, 2.0])).data
    assert len(data["nodes"]) == 1 and data["steps"] == []
    assert data["nodes"][0]["op"] == "leaf" and data["nodes"][0]["grad"] is None


def test_second_order_nodes_are_marked():
    x = scalar(0.5, "x")
    y = x.tanh()
    (dy,) = minidl.grad(y, x, create_graph=True)  # 1 - tanh(x)^2, a graph of its own
    data = viz.explore(dy, {"x": x}, grad_of=y).data
    ops = [n for n in data["nodes"] if n["op"] != "leaf"]
    tanh = [n for n in ops if n["op"] == "Tanh"]
    assert len(tanh) == 1 and tanh[0]["second_order"] is False  # the forward node, reused
    assert all(n["second_order"] for n in ops if n["op"] != "Tanh") and len(ops) > 1
    t = math.tanh(0.5)
    assert by_name(data)["x"]["grad"] == pytest.approx(-2 * t * (1 - t * t))
    assert not any(n["second_order"] for n in viz.explore(dy).data["nodes"])


def test_cnn_modules_size_and_collapse():
    model, loss = cnn_loss()
    page = viz.explore(loss, model)
    data = page.data
    boxes = {g["id"]: g for g in data["modules"]}
    assert boxes["features"] == {"id": "features", "parent": None, "type": "Sequential"}
    assert boxes["features.1"]["parent"] == "features"
    assert boxes["features.1"]["type"] == "BatchNorm2d"
    in_batch_norm = sorted(n["op"] for n in data["nodes"] if n["module"] == "features.1")
    assert in_batch_norm == ["Add", "Mul", "Reshape", "Reshape", "leaf", "leaf"]
    assert {n["module"] for n in data["nodes"] if n["op"] == "Convolution"} == {"features.0",
                                                                              "features.4"}
    assert data["collapsed"] is True and len(data["nodes"]) > explorer.COLLAPSE_OVER
    assert len(page.html().encode()) < 5_000_000


# --------------------------------------------------------------------------- the page
def graph_json(page_html):
    found = re.search(r'<script type="application/json" id="minidl-graph">(.*?)</script>',
                      page_html, re.S)
    return json.loads(found.group(1))


def test_page_is_one_self_contained_file(tmp_path):
    _, _, L = expression()
    page = viz.explore(L, path=tmp_path / "page.html")
    text = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert text == page.html() and text.startswith("<!DOCTYPE html>")
    assert graph_json(text) == page.data
    assert "default-src 'none'" in text  # the browser may fetch nothing
    # (url(#arrow) is the arrowhead, in the page itself)
    assert not re.search(r"<link|<img|<iframe|@import|url\((?!#)|(src|href)\s*=", text)
    for marker in ("/*STYLE*/", "/*SCRIPT*/", "/*GRAPH*/", "/*TITLE*/"):
        assert marker not in text
    assert page.save(tmp_path / "again.html") == str(tmp_path / "again.html")


def test_names_cannot_break_out_of_the_page():
    x = scalar(1.0, "</script><script>alert(1)</script>")
    page = viz.explore(x * 2)
    text = page.html()
    assert text.count("</script>") == 2  # the JSON's end and the code's, nothing else
    assert by_name(graph_json(text))["</script><script>alert(1)</script>"]["op"] == "leaf"


def test_jupyter_shows_the_page_in_an_iframe():
    _, _, L = expression()
    page = viz.explore(L)
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown
    source = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(source) == page.html()
    assert repr(page) == "<Explorer: 11 nodes, 7 steps>"


# --------------------------------------------------------------------------- errors
def test_a_freed_graph_is_refused_with_the_way_out():
    _, _, L = expression()
    L.backward()
    with pytest.raises(AutogradError, match=r"explore .*second time.*before backward"):
        viz.explore(L)


def test_a_tensor_changed_in_place_is_named():
    leaves, _, L = expression()
    with minidl.no_grad():
        leaves[0].add_(1.0)
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        viz.explore(L)


def test_arguments_are_checked():
    _, _, L = expression()
    with pytest.raises(TypeError, match="output must be a Tensor"):
        viz.explore(3.0)
    with pytest.raises(TypeError, match=r"params\['a'\] is a int"):
        viz.explore(L, {"a": 3})
    with pytest.raises(TypeError, match="grad_of must be a Tensor"):
        viz.explore(L, grad_of=1.0)


# --------------------------------------------------------------------------- the example
def test_scalar_backprop_writes_explorer_pages(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "scalar_backprop.py"), "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for stem in ("expression", "two_neurons"):
        data = graph_json((tmp_path / f"{stem}.html").read_text(encoding="utf-8"))
        assert data["steps"] and f"wrote {tmp_path / stem}.html" in done.stdout
    names = by_name(graph_json((tmp_path / "expression.html").read_text(encoding="utf-8")))
    assert names["L"]["value"] == pytest.approx(math.tanh(-2.0) + 2.0)
