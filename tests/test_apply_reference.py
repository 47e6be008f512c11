"""``Function.apply`` (fast) and ``Function.apply_reference`` (plain) are twins.

Every op of the op table runs once through each, on the same inputs, with a random choice of
which inputs require grad. The outputs, the recorded graphs (node by node: op, which inputs
need a gradient, output shape and dtype, edges, what was saved for backward) and the first and
second derivatives must be identical.

Read next: ``tests/test_engine.py``.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_table import OPS

import minidl
from minidl.function import Function
from minidl.node import _OUTPUT, Node

FAST = Function.__dict__["apply"]
REFERENCE = Function.__dict__["apply_reference"]


def describe_graph(out, inputs):
    """The graph behind ``out`` as plain data, nodes numbered from the output down."""
    if out.grad_fn is None:
        return None
    numbers, order, queue = {}, [], [out.grad_fn]
    while queue:
        node = queue.pop(0)
        if node in numbers:
            continue
        numbers[node] = len(order)
        order.append(node)
        queue.extend(e for e in node.edges if type(e) is Node)

    def edge(e):
        if e is None:
            return None
        if type(e) is Node:
            return ("node", numbers[e])
        return ("input", next(i for i, x in enumerate(inputs) if x is e))

    def saved(s):
        if s is _OUTPUT:
            return "output"
        if isinstance(s, minidl.Tensor):
            for i, x in enumerate(inputs):
                if s is x:
                    return ("input", i)
            return ("constant", plain(s._array))
        return ("value", plain(s))

    return [(node.op_name, node.needs_input_grad, node.out_shape, node.out_dtype,
             [edge(e) for e in node.edges],
             [saved(s) for s in (node._saved or ())],
             {k: plain(v) for k, v in vars(node).items()})  # what forward set on ctx
            for node in order]


def plain(value):
    """``value`` with arrays made lists, so that == compares contents."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.tolist())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple (a Window)
        return type(value)(*(plain(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    return value


def run(op, case, requires, gy):
    """Output, graph and first and second derivatives of one op call, as host arrays."""
    inputs = [minidl.tensor(a, requires_grad=r) for a, r in zip(case.arrays, requires)]
    out = op.fn(*inputs, **case.params)
    result = {"out": out._array.copy(), "dtype": out.dtype, "graph": describe_graph(out, inputs)}
    wrt = [x for x in inputs if x.requires_grad]
    if out.requires_grad and wrt:
        grads = minidl.grad(out, wrt, minidl.tensor(gy), create_graph=True, allow_unused=True)
        result["grads"] = [None if g is None else g._array.copy() for g in grads]
        total = sum((g * g).sum() for g in grads if g is not None and g.requires_grad)
        if isinstance(total, minidl.Tensor):
            second = minidl.grad(total, wrt, allow_unused=True)
            result["second"] = [None if g is None else g._array.copy() for g in second]
    return result


def assert_same(a, b):
    assert a.keys() == b.keys()
    np.testing.assert_array_equal(a["out"], b["out"])
    assert a["dtype"] == b["dtype"]
    assert a["graph"] == b["graph"]
    for key in ("grads", "second"):
        for ga, gb in zip(a.get(key, []), b.get(key, [])):
            assert (ga is None) == (gb is None)
            if ga is not None:
                np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_apply_and_its_reference_twin_agree(op, data, monkeypatch_apply):
    case = data.draw(op.cases, label="case")
    requires = data.draw(st.lists(st.booleans(), min_size=len(case.arrays),
                                  max_size=len(case.arrays)), label="requires_grad")
    out_shape = op.fn(*[minidl.tensor(a) for a in case.arrays], **case.params).shape
    gy = np.random.default_rng(0).standard_normal(out_shape)
    fast = run(op, case, requires, gy)
    with monkeypatch_apply(REFERENCE):
        reference = run(op, case, requires, gy)
    assert_same(fast, reference)


def test_the_reference_runs_when_switched_in(monkeypatch_apply):
    """The switch works: with the reference in place, apply is the reference (a twin test
    that compared fast with fast would pass whatever the reference did)."""
    calls = []

    def spy(cls, *args, **kwargs):
        calls.append(cls.__name__)
        return REFERENCE.__func__(cls, *args, **kwargs)

    with monkeypatch_apply(classmethod(spy)):
        (minidl.tensor([1.0, 2.0], requires_grad=True) * 3.0).sum().backward()
    assert calls[:2] == ["Mul", "Sum"] and len(calls) > 2  # backward's rules ran through it too


def test_under_no_grad_neither_records(monkeypatch_apply):
    x = minidl.tensor([1.0, -2.0], requires_grad=True)
    for apply in (FAST, REFERENCE):
        with monkeypatch_apply(apply), minidl.no_grad():
            y = (x * x).exp()
        assert y.grad_fn is None and not y.requires_grad


@pytest.fixture
def monkeypatch_apply(monkeypatch):
    """A context manager that makes ``Function.apply`` the given classmethod inside it."""

    @contextlib.contextmanager
    def switch(apply):
        with monkeypatch.context() as patch:
            patch.setattr(Function, "apply", apply)
            yield

    return switch
