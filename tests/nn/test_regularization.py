"""The L1 penalty against its definition: value sum |p| and gradient sign(p)."""
import numpy as np

import minidl
from minidl.nn.regularization import l1_penalty


def test_l1_penalty_value_and_gradient():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    params = [minidl.tensor(a.copy(), requires_grad=True) for a in arrays]
    penalty = l1_penalty(params)
    assert penalty.shape == ()
    np.testing.assert_allclose(float(penalty), sum(np.abs(a).sum() for a in arrays))
    penalty.backward()
    for p, a in zip(params, arrays):
        np.testing.assert_array_equal(p.grad._array, np.sign(a))  # d|p|/dp = sign(p)


def test_l1_penalty_of_one_tensor_and_of_nothing():
    p = minidl.tensor(np.array([-2.0, 3.0]), requires_grad=True)
    assert float(l1_penalty(p)) == 5.0
    assert float(l1_penalty([])) == 0.0
