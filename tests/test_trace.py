"""minidl.autograd.trace: the backward pass listed step by step, in a valid order, with the
right gradients; summaries for real models; no cost and no trace left when not in use."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl import autograd, nn
from minidl import backward_trace as trace_module
from minidl.node import Node


def check_order(t, output):
    """Every node behind ``output`` ran exactly once, and after all of its consumers:
    a step's inputs that are nodes run later (a reverse topological order)."""
    position = {}
    for step in t.steps:
        assert id(step.node) not in position, f"{step.op} ran twice"
        position[id(step.node)] = step.index
    for step in t.steps:
        for edge in step.node.edges:
            if isinstance(edge, Node):
                assert position[id(edge)] > step.index, f"{edge.op_name} ran before {step.op}"
    reachable, stack = set(), [output.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) not in reachable:
            reachable.add(id(fn))
            stack.extend(e for e in fn.edges if isinstance(e, Node))
    assert reachable == set(position)


def test_scalar_expression_shows_every_step_and_number():
    a = minidl.tensor(2.0, requires_grad=True)
    b = minidl.tensor(-3.0, requires_grad=True)
    c = minidl.tensor(10.0, requires_grad=True)
    f = minidl.tensor(-2.0, requires_grad=True)
    a.name, b.name, c.name, f.name = "a", "b", "c", "f"
    loss = (a * b + c) * f
    with autograd.trace() as t:
        loss.backward()
    assert [s.op for s in t] == ["Mul", "Add", "Mul"]
    check_order(t, loss)
    # d loss/d(a*b+c) = f = -2; d loss/df = a*b+c = 4; d loss/da = -2 * b = 6; d/db = -4.
    first, add, mul = t.steps
    assert first.gy_value == 1 and first.gx_values[0] == -2 and first.gx_values[1] == 4
    assert add.gy_value == -2 and list(add.gx_values) == [-2, -2]
    assert mul.gx_values[0] == 6 and mul.gx_values[1] == -4
    text = str(t)
    for line in ["#1   Mul          Add#2 (), f () -> ()",
                 "     rule   y = x0 * x1;  dy/dx0 = x1, dy/dx1 = x0",
                 "     grads  gy = 1  ->  gx0 = -2, gx1 = 4",
                 "#3   Mul          a (), b () -> ()",
                 "     grads  gy = -2  ->  gx0 = 6, gx1 = -4"]:
        assert line in text.split("\n"), line
    assert t.leaf_grads() == {"f": 4, "c": -2, "a": 6, "b": -4}


def test_gradient_norms_match_the_gradients_the_engine_computes():
    minidl.manual_seed(0)
    x = minidl.randn(6, 4, requires_grad=True)
    w = minidl.randn(4, requires_grad=True)
    h = x * w  # w is broadcast: its gradient is summed back to (4,)
    h.retain_grad()
    s = h.tanh()
    s.retain_grad()
    loss = (s ** 2).mean()
    with autograd.trace(params={"x": x, "w": w}) as t:
        loss.backward()
    check_order(t, loss)
    by_node = {id(step.node): step for step in t}
    for tensor in (h, s):
        step = by_node[id(tensor.grad_fn)]
        assert step.gy_norm == pytest.approx(np.linalg.norm(tensor.grad._array), rel=1e-6)
    mul = by_node[id(h.grad_fn)]
    assert mul.gx_norms[0] == pytest.approx(np.linalg.norm(x.grad._array), rel=1e-6)
    assert mul.gx_norms[1] == pytest.approx(np.linalg.norm(w.grad._array), rel=1e-6)
    grads = t.leaf_grads()
    np.testing.assert_allclose(grads["w"], w.grad._array, rtol=1e-6)
    np.testing.assert_allclose(grads["x"], x.grad._array, rtol=1e-6)
    assert f"|gx0| = {np.linalg.norm(x.grad._array):.4g}" in str(t)


def test_the_rule_is_the_ops_docstring():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with autograd.trace() as t:
        x.exp().sum().backward()
    assert t.steps[1].rule == "y = exp(x);  dy/dx = exp(x) = y"
    assert trace_module.rule_of(minidl.ops.unary.Exp) == t.steps[1].rule


def mnist_mlp_step():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    images = minidl.randn(32, 1, 28, 28)
    labels = minidl.randint(0, 10, (32,))
    loss = F.cross_entropy(model(images), labels)
    return model, loss


def test_summary_of_an_mnist_sized_model_is_per_op_and_per_parameter():
    model, loss = mnist_mlp_step()
    params = dict(model.named_parameters())
    with autograd.trace(params) as t:
        loss.backward()
    check_order(t, loss)
    summary = t.summary()
    ops = {step.op for step in t}
    for op in ops:
        assert any(line.startswith(op + " ") for line in summary.split("\n")), op
    for name, p in params.items():
        line = next(line for line in summary.split("\n") if line.startswith(name + " "))
        assert line.split()[-1] == f"{np.linalg.norm(p.grad._array):.4g}"


def test_long_traces_print_their_summary(monkeypatch):
    model, loss = mnist_mlp_step()
    with autograd.trace() as t:
        loss.backward()
    assert str(t) == t.format_steps()
    monkeypatch.setattr(trace_module, "FULL_LISTING_MAX", 2)
    assert str(t).startswith(t.summary())
    assert "format_steps()" in str(t)


def test_a_trace_only_watches_inside_its_block():
    x = minidl.tensor([1.0, -1.0], requires_grad=True)
    with autograd.trace() as outer:
        with autograd.trace() as inner:
            (x * 3).sum().backward()
        (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert len(inner) == 2 and len(outer) == 4
    assert autograd._observers == []
    with pytest.raises(ZeroDivisionError):
        with autograd.trace():
            _ = 1 / 0
    assert autograd._observers == []


def test_tracing_changes_no_gradient_also_with_create_graph():
    x = minidl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    reference, = minidl.grad((x.sin() * x).sum(), x, create_graph=True)
    with autograd.trace() as t:
        g, = minidl.grad((x.sin() * x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g._array, reference._array)
    assert g.grad_fn is not None  # the gradient still has its own graph
    total = g.sum()
    with autograd.trace() as t2:
        total.backward()  # the backward of the backward is traced too
    check_order(t2, total)
    assert len(t) == 3 and "Cos" in {s.op for s in t2}


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 10),
                          st.integers(0, 10)), min_size=1, max_size=25))
def test_random_graphs_are_traced_in_reverse_topological_order(program):
    leaves = [minidl.tensor(np.linspace(-1, 1, 3) + i, requires_grad=True) for i in range(3)]
    values = list(leaves)
    unary = [minidl.tanh, minidl.sin, lambda v: v * 0.5, minidl.sigmoid]
    binary = [minidl.add, minidl.mul, minidl.sub, minidl.maximum]
    for is_binary, op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(binary[op](a, b) if is_binary else unary[op](a))
    out = values[-1].sum()
    with autograd.trace() as t:
        out.backward()
    check_order(t, out)
    assert t.steps[0].gy_norm == 1.0
    delivered = t.leaf_grads()
    used = [leaf for leaf in leaves if leaf.grad is not None]
    assert len(delivered) == len(used)
