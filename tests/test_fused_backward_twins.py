"""The fused backward rules of tanh, sigmoid and relu against twins composed of primitives.

``TanhGrad``, ``SigmoidGrad`` and ``ReluGrad`` (``minidl/ops/unary.py``) each compute an op's
backward as one node instead of three. Their twins below are the same functions written with
primitives only, so the engine derives their backward rules by composition: values, first
derivatives and second derivatives (through ``create_graph=True``) must agree.

Read next: ``tests/nn/test_conv.py`` (the fused convolution and its twin).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl

TWINS = {
    "tanh": (lambda x: x.tanh(), lambda x: 1 - 2 / ((2 * x).exp() + 1)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + (-x).exp())),
    # relu as x times a constant mask: the same derivatives (1 or 0; second derivative 0)
    "relu": (lambda x: x.relu(),
             lambda x: x * minidl.tensor((x._array > 0).astype(x._array.dtype))),
}
ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4),
                    elements=st.floats(-4, 4).filter(lambda v: abs(v) > 1e-3))


def derivatives(fn, a: np.ndarray, weights: np.ndarray):
    """fn(x), d(sum(w * fn(x)))/dx, and the gradient of sum(that first derivative ** 2)."""
    x = minidl.tensor(a, requires_grad=True)
    y = fn(x)
    g, = minidl.grad((y * minidl.tensor(weights)).sum(), [x], create_graph=True)
    if not g.requires_grad:  # relu's composed twin: the first derivative is a constant
        return y._array, g._array, np.zeros_like(a)
    gg, = minidl.grad((g * g).sum(), [x], allow_unused=True)
    return y._array, g._array, np.zeros_like(a) if gg is None else gg._array


@given(name=st.sampled_from(sorted(TWINS)), a=ARRAYS, data=st.data())
def test_fused_backward_equals_its_composed_twin(name, a, data):
    weights = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-2, 2)), label="w")
    fused, twin = TWINS[name]
    for got, expected in zip(derivatives(fused, a, weights), derivatives(twin, a, weights)):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
