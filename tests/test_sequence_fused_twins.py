"""The fused LSTM step (``LSTMStep``, ``minidl/ops/lstm_cell.py``) against its twin composed
of primitives (``lstm_step_composed``): values, first derivatives (the fused backward on
arrays) and second derivatives (its create_graph path, on Tensors) must agree, for every input
and for weighted outputs, so both halves of [h', c'] carry gradient.

Read next: ``tests/nn/test_recurrent.py`` (the recurrent layers against PyTorch).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.ops.lstm_cell import LSTMStep, lstm_step, lstm_step_composed


def derivatives(fn, arrays, weights, needs):
    """fn(*xs), d(sum(w * fn))/dx for the inputs in ``needs``, and the gradient of the sum of
    those first derivatives squared (a second derivative)."""
    xs = [minidl.tensor(a, requires_grad=need) for a, need in zip(arrays, needs)]
    y = fn(*xs)
    wrt = [x for x in xs if x.requires_grad]
    firsts = minidl.grad((y * minidl.tensor(weights)).sum(), wrt, create_graph=True)
    total = sum((g * g).sum() for g in firsts)
    seconds = minidl.grad(total, wrt, allow_unused=True)
    return [y._array] + [g._array for g in firsts] + [
        np.zeros(1) if g is None else g._array for g in seconds]


@given(n=st.integers(1, 3), h=st.integers(1, 3), bias=st.booleans(), data=st.data())
def test_fused_step_equals_its_composed_twin(n, h, bias, data):
    floats = st.floats(-2, 2)
    shapes = [(n, 4 * h), (2, n, h), (4 * h, h)] + [(4 * h,)] * bias
    arrays = [data.draw(hnp.arrays(np.float64, shape, elements=floats), label="input")
              for shape in shapes]
    weights = data.draw(hnp.arrays(np.float64, (2, n, h), elements=st.floats(-2, 2)), label="w")
    needs = data.draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes))
                      .filter(any), label="needs")
    fused = derivatives(lstm_step, arrays, weights, needs)
    twin = derivatives(lstm_step_composed, arrays, weights, needs)
    for got, expected in zip(fused, twin):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_the_fused_step_records_one_node():
    xw, hc, w = (minidl.randn(3, 8, requires_grad=True), minidl.randn(2, 3, 2),
                 minidl.randn(8, 2, requires_grad=True))
    out = lstm_step(xw, hc, w)
    assert out.shape == (2, 3, 2) and out.grad_fn.function is LSTMStep
    assert out.grad_fn.edges == [xw, None, w, None]
    out.sum().backward()
    assert xw.grad.shape == (3, 8) and w.grad.shape == (8, 2)
