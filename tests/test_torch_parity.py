"""Every op of the op table, cross-checked with PyTorch: the same Hypothesis cases as
``tests/test_ops_gradcheck.py``, the same computation written with torch
(``tests/torch_equivalents.py``), and then the values, the first derivatives (a
vector-Jacobian product with a random cotangent) and the second derivatives (the gradient of
a random combination of the first) must agree. The first test needs no PyTorch: every row of
the op table has an equivalent.

Read next: ``tests/test_engine.py`` (the rules of the backward engine itself).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import OPS
from torch_equivalents import SECOND_ORDER_DIFFERS, TORCH

import minidl

TOLERANCE = {"rtol": 1e-10, "atol": 1e-12}  # float64; NumPy and PyTorch round differently
# Second derivatives amplify rounding more (layer_norm of a constant row: 1e-16 deviations over
# (var + eps)^(3/2) give 1e-10 where PyTorch's formula gives exactly 0); a wrong rule is off by
# far more than this.
SECOND_ORDER_TOLERANCE = {"rtol": 1e-8, "atol": 1e-8}
# A quarter of the profile's examples (25 under "ci"): test_ops_gradcheck.py already runs the
# full count of these cases through minidl, and this test costs as much again per example.
EXAMPLES = max(10, settings().max_examples // 4)


def test_every_op_of_the_op_table_has_a_torch_equivalent():
    names = [op.name for op in OPS]
    assert sorted(set(names) - set(TORCH)) == [], "rows without a torch equivalent"
    assert sorted(set(TORCH) - set(names)) == [], "equivalents of rows that no longer exist"


def _vjp(lib, output, inputs, cotangent, create_graph):
    """d(output . cotangent)/d(inputs) as arrays, and as tensors (None for an unused input)."""
    if not output.requires_grad:  # a constant: the gradient of a linear op's gradient
        return [np.zeros(x.shape) for x in inputs], [None] * len(inputs)
    grads = lib.autograd.grad(output, inputs, cotangent, create_graph=create_graph,
                              allow_unused=True)
    # an unused input gets None (in both libraries, but they may differ in what they record
    # as used): compare zeros
    arrays = [np.zeros(x.shape) if g is None else _array(lib, g) for x, g in zip(inputs, grads)]
    return arrays, grads


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(deadline=None, max_examples=EXAMPLES)
@given(data=st.data())
def test_values_and_gradients_match_pytorch(op, data):
    torch = pytest.importorskip("torch")
    case = data.draw(op.cases, label="case")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    xs = [minidl.tensor(a, requires_grad=True) for a in case.arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    out = op.fn(*xs, **case.params)
    expected = TORCH[op.name](*ts, **case.params)
    assert out.shape == tuple(expected.shape) and str(out.dtype) == "float64"
    assert expected.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **TOLERANCE)

    v = rng.standard_normal(out.shape)
    grads, minidl_graphs = _vjp(minidl, out, xs, minidl.tensor(v), create_graph=True)
    expected_grads, torch_graphs = _vjp(torch, expected, ts, torch.tensor(v), create_graph=True)
    for i, (g, e) in enumerate(zip(grads, expected_grads)):
        np.testing.assert_allclose(g, e, **TOLERANCE, err_msg=f"d/d(input {i})")

    differs = SECOND_ORDER_DIFFERS.get(op.name)
    if differs is not None and differs[0](case):
        return  # minidl is right and PyTorch is not, there: see torch_equivalents.py
    us = [rng.standard_normal(x.shape) for x in xs]
    second = _second_order(minidl, xs, minidl_graphs, us)
    expected_second = _second_order(torch, ts, torch_graphs, us)
    for i, (h, e) in enumerate(zip(second, expected_second)):
        np.testing.assert_allclose(h, e, **SECOND_ORDER_TOLERANCE,
                                   err_msg=f"second order, input {i}")


def _array(lib, t) -> np.ndarray:
    """PyTorch may return a gradient as a ZeroTensor (known to be zero, no storage), which
    ``numpy()`` converts only when forced."""
    return t.detach().numpy(force=True) if lib.__name__ == "torch" else t.detach().numpy()


def _second_order(lib, inputs, grads, weights):
    """d/d(inputs) of sum_i (grad_i . weight_i): a Hessian-vector product, summed."""
    total = None
    for g, w in zip(grads, weights):
        if g is not None and g.requires_grad:
            term = (g * lib.tensor(w).reshape(g.shape)).sum()
            total = term if total is None else total + term
    if total is None:
        return [np.zeros(x.shape) for x in inputs]
    return _vjp(lib, total, inputs, None, create_graph=False)[0]
