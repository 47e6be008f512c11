"""The rules of the backward engine, continued (``tests/test_engine.py`` has the first part):
higher-order gradients (create_graph, ``minidl.grad``, Hessians), hooks, grad modes and anomaly
detection.

Read next: ``tests/test_engine_stateful.py`` (random graphs against numerical derivatives).
"""
import numpy as np
import pytest

import minidl
from minidl import AutogradError


def leaf(values, dtype=minidl.float64):
    return minidl.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------------- higher order
def test_second_derivative_of_x_cubed_is_6x():
    x = leaf([-1.5, 0.5, 2.0])
    g, = minidl.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    g2, = minidl.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.detach().numpy())
    y = x * x * x  # composed, not Pow: the same answer through Mul's rule
    g, = minidl.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_hessian_matches_closed_form():
    """f(x) = x0^2 x1 + sin(x1 x2): row i of the Hessian is the gradient of df/dx_i."""
    x = leaf([0.7, -1.2, 0.4])
    f = x[0] ** 2 * x[1] + minidl.sin(x[1] * x[2])
    g, = minidl.grad(f, x, create_graph=True)
    hessian = np.stack([minidl.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)])
    x0, x1, x2 = x.detach().numpy()
    s, c = np.sin(x1 * x2), np.cos(x1 * x2)
    expected = [[2 * x1, 2 * x0, 0.0],
                [2 * x0, -x2 ** 2 * s, c - x1 * x2 * s],
                [0.0, c - x1 * x2 * s, -x1 ** 2 * s]]
    np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-12)


def test_grad_returns_gradients_without_touching_dot_grad():
    x, z = leaf([1.0, 2.0]), leaf([3.0])
    y = (x * x).sum()
    with pytest.raises(AutogradError, match="allow_unused"):
        minidl.grad(y, [x, z], retain_graph=True)
    gx, gz = minidl.grad(y, [x, z], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert gz is None and x.grad is None and z.grad is None


def test_grad_with_respect_to_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, = minidl.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    assert x.grad is None


def test_gradients_given_as_arrays_and_several_roots():
    x = leaf([1.0, 2.0])
    (x * 2).backward(np.array([1.0, 3.0]))  # one output: the array is its gradient
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 6.0])
    x.grad = None
    minidl.autograd.backward([(x * x).sum(), x * 3], [None, [1.0, 2.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 3.0, 4.0 + 6.0])
    y = x * 2
    gx, gy = minidl.grad([(y * y).sum(), y], [x, y], [None, np.array([1.0, 0.0])])
    np.testing.assert_array_equal(gx.numpy(), 8 * x.detach().numpy() + [2.0, 0.0])
    np.testing.assert_array_equal(gy.numpy(), 2 * y.detach().numpy() + [1.0, 0.0])


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h, k = x * 3, x * 4
    h.retain_grad()
    ((h * h).sum() + k.sum()).backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert k.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.detach().numpy() + 4)


# ---------------------------------------------------------------------- hooks and modes
def test_hooks_see_and_replace_gradients_until_removed():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    doubling = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    handle.remove()
    doubling.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_hook_on_a_non_leaf_changes_what_flows_further():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 10)
    (h * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])


def test_grad_modes_as_context_managers_decorators_and_calls():
    x = leaf([1.0])
    with minidl.no_grad():
        assert not (x * 2).requires_grad and not minidl.is_grad_enabled()
        with minidl.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @minidl.no_grad()
    def evaluate():
        return (x * 2).requires_grad

    @minidl.enable_grad()
    def train():
        return (x * 2).requires_grad

    assert evaluate() is False and evaluate() is False and minidl.is_grad_enabled()
    with minidl.no_grad():
        assert train() is True and not minidl.is_grad_enabled()
    with minidl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert minidl.is_grad_enabled()
    try:
        minidl.set_grad_enabled(False)  # a plain call switches at once, as in PyTorch
        assert not (x * 2).requires_grad
    finally:
        minidl.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_is_restored_when_the_block_raises():
    with pytest.raises(ZeroDivisionError):
        with minidl.no_grad():
            _ = 1 / 0
    assert minidl.is_grad_enabled()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own note on log(-1), 1/0
def test_detect_anomaly_names_the_op_in_forward_and_in_backward():
    with minidl.detect_anomaly():
        with pytest.raises(AutogradError, match="Log forward produced NaN"):
            minidl.log(minidl.tensor([1.0, -1.0]))
        x = leaf([0.0, 4.0])
        y = minidl.sqrt(x).sum()  # finite forward, infinite slope at 0
        with pytest.raises(AutogradError, match="Sqrt backward"):
            y.backward()
    minidl.log(minidl.tensor([-1.0]))  # outside the block: NaN passes silently, as in NumPy
