"""The fused Linear node (x W^T + b) against its composed twin, and its derivatives."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.ops.linalg import Linear, linear_composed
from minidl.testing import gradcheck, gradgradcheck


def _tensors(rng, batch_shape, n_in, n_out, with_bias):
    x = minidl.tensor(rng.standard_normal(batch_shape + (n_in,)), requires_grad=True)
    W = minidl.tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
    b = minidl.tensor(rng.standard_normal(n_out), requires_grad=True) if with_bias else None
    return x, W, b


@settings(deadline=None)
@given(batch_shape=st.lists(st.integers(1, 3), max_size=2).map(tuple),
       n_in=st.integers(1, 4), n_out=st.integers(1, 4), with_bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_fused_linear_matches_composed_twin_and_gradchecks(batch_shape, n_in, n_out, with_bias,
                                                           seed):
    x, W, b = _tensors(np.random.default_rng(seed), batch_shape, n_in, n_out, with_bias)
    inputs = (x, W) if b is None else (x, W, b)
    fused = Linear.apply(x, W, b)
    composed = linear_composed(x, W, b)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    g_fused = minidl.grad(fused.sum(), inputs)
    g_composed = minidl.grad(composed.sum(), inputs)
    for a, c in zip(g_fused, g_composed):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-12, atol=1e-12)

    def fn(*args):
        return Linear.apply(args[0], args[1], args[2] if len(args) > 2 else None)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_weight_gradient_is_an_owned_array_in_float32():
    rng = np.random.default_rng(0)
    layer = minidl.nn.Linear(5, 3)
    layer(minidl.tensor(rng.standard_normal((4, 5)).astype(np.float32))).sum().backward()
    assert layer.weight.grad.dtype == np.float32
    assert layer.weight.grad._array.flags.owndata and layer.bias.grad._array.flags.owndata
