"""The fused LSTM cell (``LSTMCellGates``, ``minidl/ops/lstm_cell.py``) against its twin
composed of primitives (``lstm_cell_composed``): values, first derivatives (the fused backward
on arrays) and second derivatives (its create_graph path, on Tensors) must agree, for every
input and for weighted outputs, so both halves of h' and c' carry gradient.

Read next: ``tests/nn/test_recurrent.py`` (the recurrent layers against PyTorch).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.ops.lstm_cell import LSTMCellGates, lstm_cell_composed, lstm_cell_gates


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


@given(n=st.integers(1, 3), h=st.integers(1, 3), data=st.data())
def test_fused_cell_equals_its_composed_twin(n, h, data):
    floats = st.floats(-3, 3)
    arrays = [data.draw(hnp.arrays(np.float64, shape, elements=floats), label="input")
              for shape in ((n, 4 * h), (n, 4 * h), (n, h))]
    weights = data.draw(hnp.arrays(np.float64, (2, n, h), elements=st.floats(-2, 2)), label="w")
    needs = data.draw(st.lists(st.booleans(), min_size=3, max_size=3).filter(any), label="needs")
    fused = derivatives(lstm_cell_gates, arrays, weights, needs)
    twin = derivatives(lstm_cell_composed, arrays, weights, needs)
    for got, expected in zip(fused, twin):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_the_fused_cell_records_one_node():
    xw, hw, c = (minidl.randn(2, 8, requires_grad=True), minidl.randn(2, 8, requires_grad=True),
                 minidl.randn(2, 2, requires_grad=True))
    out = lstm_cell_gates(xw, hw, c)
    assert out.shape == (2, 2, 2) and out.grad_fn.function is LSTMCellGates
    assert all(edge is x for edge, x in zip(out.grad_fn.edges, (xw, hw, c)))
    out.sum().backward()
    np.testing.assert_array_equal(xw.grad.numpy(), hw.grad.numpy())  # a = xw + hw
