"""The fused Functions of the sequence models against their twins composed of primitives:
the LSTM step (``minidl/ops/lstm_cell.py`` vs ``lstm_step_composed``), the whole LSTM layer
(``minidl/ops/lstm_sequence.py`` vs a loop of ``lstm_step_composed``), layer normalization
(``minidl/ops/layer_norm.py`` vs ``layer_norm_composed``) and GELU (``minidl/ops/gelu.py`` vs
``gelu_composed``, both approximations); ``F.layer_norm`` and ``F.gelu`` run the fused ones.
Values, first derivatives (each fused backward on arrays) and second derivatives (its
create_graph path, on Tensors) must agree, for every input, with weighted outputs so that every
part of the output carries gradient.

Read next: ``tests/nn/test_recurrent.py`` (the recurrent layers against PyTorch).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.nn.activation_functional import gelu_composed
from minidl.nn.normalization_functional import layer_norm_composed
from minidl.ops.gelu import gelu
from minidl.ops.layer_norm import layer_norm
from minidl.ops.linalg import linear_composed
from minidl.ops.lstm_cell import LSTMStep, lstm_step, lstm_step_composed
from minidl.ops.lstm_sequence import LSTMSequence, lstm_sequence


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


def _composed_sequence(x, hc, w_ih, w_hh, *biases, reverse=False):
    b_ih, b_hh = biases if biases else (None, None)
    xw = linear_composed(x, w_ih, b_ih)
    out = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        hc = out[t] = lstm_step_composed(xw[t], hc, w_hh, b_hh)
    return minidl.stack(out)


@given(steps=st.integers(1, 4), n=st.integers(1, 2), h=st.integers(1, 2),
       inputs=st.integers(1, 2), bias=st.booleans(), reverse=st.booleans(), data=st.data())
def test_fused_sequence_equals_its_composed_twin(steps, n, h, inputs, bias, reverse, data):
    floats = st.floats(-2, 2)
    shapes = [(steps, n, inputs), (2, n, h), (4 * h, inputs), (4 * h, h)] + [(4 * h,)] * (
        2 * bias)
    arrays = [data.draw(hnp.arrays(np.float64, shape, elements=floats), label="input")
              for shape in shapes]
    weights = data.draw(hnp.arrays(np.float64, (steps, 2, n, h), elements=floats), label="w")
    needs = data.draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes))
                      .filter(any), label="needs")
    fused = derivatives(lambda *xs: lstm_sequence(*xs, reverse=reverse), arrays, weights, needs)
    twin = derivatives(lambda *xs: _composed_sequence(*xs, reverse=reverse), arrays, weights,
                       needs)
    for got, expected in zip(fused, twin):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_the_fused_sequence_records_one_node():
    x, hc = minidl.randn(5, 3, 4, requires_grad=True), minidl.randn(2, 3, 2)
    w_ih, w_hh = minidl.randn(8, 4, requires_grad=True), minidl.randn(8, 2, requires_grad=True)
    out = lstm_sequence(x, hc, w_ih, w_hh)
    assert out.shape == (5, 2, 3, 2) and out.grad_fn.function is LSTMSequence
    out[:, 0].sum().backward()
    assert x.grad.shape == (5, 3, 4) and w_ih.grad.shape == (8, 4) and w_hh.grad.shape == (8, 2)


def test_the_fused_step_records_one_node():
    xw, hc, w = (minidl.randn(3, 8, requires_grad=True), minidl.randn(2, 3, 2),
                 minidl.randn(8, 2, requires_grad=True))
    out = lstm_step(xw, hc, w)
    assert out.shape == (2, 3, 2) and out.grad_fn.function is LSTMStep
    assert out.grad_fn.edges == [xw, None, w, None]
    out.sum().backward()
    assert xw.grad.shape == (3, 8) and w.grad.shape == (8, 2)


@given(shape=st.sampled_from([(5,), (2, 3), (2, 2, 3)]), trailing=st.integers(1, 2),
       affine=st.sampled_from(["both", "weight", "none"]), data=st.data())
def test_fused_layer_norm_equals_its_composed_twin(shape, trailing, affine, data):
    trailing = min(trailing, len(shape))
    normalized = shape[len(shape) - trailing:]
    axes = tuple(range(len(shape) - trailing, len(shape)))
    floats = st.floats(-3, 3)
    arrays = [data.draw(hnp.arrays(np.float64, shape, elements=floats), label="x")]
    arrays += [data.draw(hnp.arrays(np.float64, normalized, elements=floats), label="param")
               for _ in range({"both": 2, "weight": 1, "none": 0}[affine])]
    arrays[0] = arrays[0] + np.arange(arrays[0].size).reshape(shape) * 0.1  # variance > 0
    weights = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)), label="w")
    needs = [True] * len(arrays)

    def fused(x, *params):
        return layer_norm(x, *(list(params) + [None] * (2 - len(params))), axes, 1e-5)

    def twin(x, *params):
        return layer_norm_composed(x, axes, *(list(params) + [None] * (2 - len(params))), 1e-5)
    for got, expected in zip(derivatives(fused, arrays, weights, needs),
                             derivatives(twin, arrays, weights, needs)):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


@given(approximate=st.sampled_from(["none", "tanh"]),
       a=hnp.arrays(np.float64, st.sampled_from([(3,), (2, 4)]), elements=st.floats(-5, 5)),
       data=st.data())
def test_fused_gelu_equals_its_composed_twin(approximate, a, data):
    weights = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-2, 2)), label="w")
    fused = derivatives(lambda x: gelu(x, approximate), [a], weights, [True])
    twin = derivatives(lambda x: gelu_composed(x, approximate), [a], weights, [True])
    for got, expected in zip(fused, twin):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_fused_gelu_tanh_does_not_overflow_in_float32():
    x = minidl.tensor([-100.0, -10.0, 0.0, 10.0, 100.0], requires_grad=True)
    y = gelu(x, "tanh")
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0, 0, 0, 10, 100], atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 0.5, 1, 1], atol=1e-6)
