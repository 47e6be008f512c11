"""minidl.analysis: exact Hessians and Hessian-vector products by double backpropagation.

Checked against closed forms, against central differences of the (autograd) gradient for small
tanh networks, and for cost: hvp must take a constant number of backward passes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.autograd
from minidl.analysis import classify_critical_point, hessian, hvp, jacobian
from minidl.errors import ShapeError


def quadratic_form(A):
    A_t = minidl.tensor(A)
    return lambda x: x @ (A_t @ x)


def saddle_lesson(x):  # x0^5 + x1^2 - 4 x0 x1 + x1^2
    return x[0] ** 5 + x[1] ** 2 - 4 * x[0] * x[1] + x[1] ** 2


@settings(deadline=None, max_examples=25)
@given(n=st.integers(1, 5), seed=st.integers(0, 2 ** 16))
def test_hessian_and_hvp_of_quadratic_form(n, seed):
    """d^2/dx^2 x^T A x = A + A^T, at any x; hvp(v) = (A + A^T) v."""
    rng = np.random.default_rng(seed)
    A, x, v = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    f = quadratic_form(A)
    np.testing.assert_allclose(hessian(f, x).numpy(), A + A.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hvp(f, x, v).numpy(), (A + A.T) @ v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x0, x1", [(11.0, 2.0), (0.5, -1.0), (-2.0, 3.0)])
def test_hessian_closed_form(x0, x1):
    H = hessian(saddle_lesson, [x0, x1]).numpy()
    np.testing.assert_allclose(H, [[20 * x0 ** 3, -4], [-4, 4]], rtol=1e-12)
    np.testing.assert_allclose(hvp(saddle_lesson, [x0, x1], [1.0, 2.0]).numpy(),
                               H @ [1.0, 2.0], rtol=1e-12)


def test_jacobian_closed_form():
    f = lambda x: minidl.stack([x[0] * x[1], x[0].sin(), x[1] ** 3])  # noqa: E731
    x0, x1 = 0.7, -1.3
    expected = [[x1, x0], [np.cos(x0), 0.0], [0.0, 3 * x1 ** 2]]
    np.testing.assert_allclose(jacobian(f, [x0, x1]).numpy(), expected, rtol=1e-12)


def tanh_net_loss(seed: int, n_in: int = 3, n_hidden: int = 4, n_data: int = 5):
    """A tiny 2-layer tanh network's squared error, as a function of its flat parameter vector."""
    rng = np.random.default_rng(seed)
    X, y = minidl.tensor(rng.normal(size=(n_data, n_in))), minidl.tensor(rng.normal(size=n_data))
    n_W1 = n_in * n_hidden

    def loss(theta):
        W1 = theta[:n_W1].reshape(n_in, n_hidden)
        b1 = theta[n_W1:n_W1 + n_hidden]
        w2 = theta[n_W1 + n_hidden:]
        prediction = (X @ W1 + b1).tanh() @ w2
        return ((prediction - y) ** 2).mean()

    theta = rng.normal(size=n_W1 + 2 * n_hidden)
    return loss, theta


def gradient(f, x):
    x = minidl.tensor(x, requires_grad=True)
    return minidl.grad(f(x), x)[0].numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_of_tanh_net_matches_differences_of_the_gradient(seed):
    f, theta = tanh_net_loss(seed)
    eps = 1e-6
    columns = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = eps
        columns.append((gradient(f, theta + e) - gradient(f, theta - e)) / (2 * eps))
    numerical = np.stack(columns, axis=1)
    H = hessian(f, theta).numpy()
    np.testing.assert_allclose(H, numerical, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, atol=1e-12)  # exact second derivatives are symmetric
    v = np.random.default_rng(seed).normal(size=theta.size)
    np.testing.assert_allclose(hvp(f, theta, v).numpy(), H @ v, rtol=1e-10, atol=1e-12)


def count_backward_passes(monkeypatch):
    calls = []
    original = minidl.autograd.run_backward

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(minidl.autograd, "run_backward", counting)
    return calls


@pytest.mark.parametrize("n", [2, 10, 60])
def test_hvp_takes_two_backward_passes_whatever_the_size(monkeypatch, n):
    """hvp never builds the Hessian: one backward for g (with its graph), one for d(g.v)/dx."""
    A = np.random.default_rng(0).normal(size=(n, n))
    f = lambda x: (x @ (minidl.tensor(A) @ x)).tanh() + (x ** 4).sum()  # noqa: E731
    calls = count_backward_passes(monkeypatch)
    hvp(f, np.ones(n) / n, np.ones(n))
    assert len(calls) == 2
    calls.clear()
    hessian(f, np.ones(n) / n)
    assert len(calls) == n + 1  # the full Hessian: one pass per row


@pytest.mark.parametrize("f, at, kind", [
    (lambda v: v[0] ** 2 - v[1] ** 2, [0.0, 0.0], "saddle point"),
    (lambda v: v[0] ** 2 + v[1] ** 2, [0.0, 0.0], "local minimum"),
    (lambda v: -(v[0] ** 2 + v[1] ** 2), [0.0, 0.0], "local maximum"),
    (lambda v: v[0] ** 4 + v[1] ** 4, [0.0, 0.0], "degenerate"),
    (lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, [0.0, 0.0], "degenerate"),  # monkey saddle
    (lambda v: v[0] ** 2 - v[1] ** 2 + v[1] ** 4 / 4, [0.0, 2 ** 0.5], "local minimum"),
    # one zero eigenvalue does not hide a saddle: +2 and -2 already decide it
    (lambda v: v[0] ** 2 - v[1] ** 2 + v[2] ** 4, [0.0, 0.0, 0.0], "saddle point"),
    (lambda v: v[0] ** 2 + v[1] ** 4, [0.0, 0.0], "degenerate"),
    (saddle_lesson, [11.0, 2.0], "not a critical point"),
])
def test_classify_critical_point(f, at, kind):
    assert classify_critical_point(f, at).kind == kind


def test_not_a_critical_point_reports_the_gradient():
    result = classify_critical_point(saddle_lesson, np.array([11, 2]))
    np.testing.assert_allclose(result.gradient, [5 * 11 ** 4 - 8, 8 - 44])
    assert result.gradient_norm == pytest.approx(np.hypot(73197, 36))
    np.testing.assert_allclose(result.eigenvalues,
                               np.linalg.eigvalsh([[20 * 11 ** 3, -4], [-4, 4]]))
    assert "not a critical point" in str(result)


def test_linear_and_constant_functions_have_zero_hessians():
    np.testing.assert_array_equal(hessian(lambda x: (3 * x).sum(), [1.0, 2.0]).numpy(), 0)
    np.testing.assert_array_equal(hvp(lambda x: (3 * x).sum(), [1.0, 2.0], [1, 1]).numpy(), 0)
    constant = lambda x: minidl.tensor(1.0)  # noqa: E731
    assert classify_critical_point(constant, [0.0]).kind == "degenerate"


def test_dtype_is_kept_and_input_untouched():
    x = minidl.tensor([1.0, 2.0], dtype=minidl.float32)
    H = hessian(lambda v: (v ** 3).sum(), x)
    assert H.dtype == np.float32
    np.testing.assert_allclose(H.numpy(), np.diag([6.0, 12.0]))
    assert not x.requires_grad and x.grad is None


def test_works_inside_no_grad():
    with minidl.no_grad():
        np.testing.assert_allclose(hvp(saddle_lesson, [1.0, 1.0], [1.0, 0.0]).numpy(), [20, -4])


def test_errors_name_the_problem():
    with pytest.raises(ShapeError, match="scalar"):
        hessian(lambda x: x * 2, [1.0, 2.0])
    with pytest.raises(ShapeError, match="1-D"):
        hessian(lambda x: x.sum(), np.ones((2, 2)))
    with pytest.raises(ShapeError, match="v has shape"):
        hvp(lambda x: (x ** 2).sum(), [1.0, 2.0], [1.0])


def test_on_device(device):
    A = np.array([[2.0, 1.0], [0.0, -3.0]])  # A + A^T is indefinite: 0 is a saddle
    x = minidl.tensor([0.5, -1.0], dtype=minidl.float64, device=device)  # matmul: one dtype
    f = lambda v: v @ (minidl.tensor(A, device=device) @ v)  # noqa: E731
    H = hessian(f, x)
    assert H.device == x.device
    np.testing.assert_allclose(H.cpu().numpy(), A + A.T)
    np.testing.assert_allclose(hvp(f, x, minidl.tensor([1.0, 1.0], device=device)).cpu().numpy(),
                               (A + A.T) @ [1, 1])
    assert classify_critical_point(f, minidl.zeros(2, dtype=minidl.float64,
                                                   device=device)).kind == "saddle point"
