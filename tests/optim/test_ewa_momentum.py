"""EWAMomentum: the course notes' momentum, v <- beta v + (1 - beta) g from v = 0, theta -= lr v.

Checked against a NumPy loop written from the notes' formula, and for each claim of its
docstring: the exact equivalence with PyTorch's momentum at lr (1 - beta), the start-up bias and
its correction, and how it differs from ``SGD(momentum=beta, dampening=beta)``. The Optimizer API
(checkpoints, float32, devices) is tested with the other optimizers in ``test_optimizer_api.py``.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.errors import ConfigError
from minidl.optim import SGD, EWAMomentum

from .helpers import make_param, set_grad
from .test_optimizers import STEPS, quadratic, run_minidl


def reference_ewa(x, grad_fn, steps, lr=1e-3, beta=0.9, bias_correction=False,
                  weight_decay=0.0, maximize=False):
    """The notes' update as a plain loop; bias correction as Adam's m-hat."""
    trajectory, v = [], np.zeros_like(x)
    for t in range(1, steps + 1):
        g = -grad_fn(x) if maximize else grad_fn(x)
        g = g + weight_decay * x
        v = beta * v + (1 - beta) * g
        x = x - lr * (v / (1 - beta ** t) if bias_correction else v)
        trajectory.append(x)
    return np.array(trajectory)


SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.1, beta=0.99),
    dict(lr=0.05, beta=0.5, bias_correction=True),
    dict(lr=0.1, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("hyper", SETTINGS, ids=[str(h) for h in SETTINGS])
def test_matches_the_notes_formula(hyper):
    a, b, x0 = quadratic()
    sign = -1 if hyper.get("maximize") else 1  # maximizing -f walks down f, as minimizing does

    def grad_fn(x):
        return sign * (a @ x - b)

    ours = run_minidl(EWAMomentum, hyper, x0, grad_fn)
    np.testing.assert_allclose(ours, reference_ewa(x0, grad_fn, STEPS, **hyper),
                               rtol=1e-12, atol=1e-14)


@given(lr=st.floats(1e-3, 0.5), beta=st.floats(0.0, 0.999), seed=st.integers(0, 2**16))
def test_equals_pytorch_momentum_at_lr_times_one_minus_beta(lr, beta, seed):
    """v_t = (1 - beta) b_t when both start at 0: the same points, up to rounding."""
    a, b, x0 = quadratic(seed)
    ewa = run_minidl(EWAMomentum, dict(lr=lr, beta=beta), x0, lambda x: a @ x - b, steps=30)
    sgd = run_minidl(SGD, dict(lr=lr * (1 - beta), momentum=beta), x0, lambda x: a @ x - b,
                     steps=30)
    np.testing.assert_allclose(ewa, sgd, rtol=1e-9, atol=1e-12)


def bowl_first_step(optimizer_class, **hyper):
    """One step on (x^2 + 50 y^2) / 2 from (1, -2), the lesson's bowl; gradient (1, -100)."""
    v = minidl.tensor([1.0, -2.0], dtype=minidl.float64, requires_grad=True)
    optimizer = optimizer_class([v], **hyper)
    ((v[0] ** 2 + 50 * v[1] ** 2) / 2).backward()
    optimizer.step()
    return v.detach().numpy()


def test_first_step_is_one_minus_beta_of_the_gradient_step():
    # v_1 = (1 - 0.9) g, so y moves by 0.1 * 0.1 * 100 = 1: from -2 to -1.
    np.testing.assert_allclose(bowl_first_step(EWAMomentum, lr=0.1, beta=0.9), [0.99, -1.0])
    # SGD's dampened buffer starts at g itself: a full gradient step, 10x longer, to y = 8.
    dampened = bowl_first_step(SGD, lr=0.1, momentum=0.9, dampening=0.9)
    np.testing.assert_allclose(dampened, [0.9, 8.0])
    # Bias correction divides v_1 by 1 - 0.9: also a full gradient step.
    corrected = bowl_first_step(EWAMomentum, lr=0.1, beta=0.9, bias_correction=True)
    np.testing.assert_allclose(corrected, [0.9, 8.0])


def test_dampened_sgd_is_the_average_started_at_the_first_gradient():
    """For the same gradients, SGD(dampening=beta)'s buffer is v_t + beta^t g_1."""
    beta = 0.9
    gradients = np.random.default_rng(0).standard_normal((20, 3))
    p, q = make_param(np.zeros(3)), make_param(np.zeros(3))
    ewa, sgd = EWAMomentum([p], beta=beta), SGD([q], momentum=beta, dampening=beta)
    for t, g in enumerate(gradients, start=1):
        set_grad(p, g)
        set_grad(q, g)
        ewa.step()
        sgd.step()
        expected = ewa.state[p]["exp_avg"] + beta ** t * gradients[0]
        np.testing.assert_allclose(sgd.state[q]["momentum_buffer"], expected, atol=1e-14)


def test_start_up_bias_and_its_correction():
    """Under a steady gradient v_t = (1 - beta^t) g; corrected steps are lr g from the start."""
    beta, lr, g = 0.9, 0.5, np.array([2.0, -4.0])
    p, q = make_param(np.zeros(2)), make_param(np.zeros(2))
    plain, corrected = EWAMomentum([p], lr=lr, beta=beta), EWAMomentum(
        [q], lr=lr, beta=beta, bias_correction=True)
    for t in range(1, 11):
        set_grad(p, g)
        set_grad(q, g)
        plain.step()
        corrected.step()
        np.testing.assert_allclose(plain.state[p]["exp_avg"], (1 - beta ** t) * g)
        np.testing.assert_allclose(q._array, -t * lr * g)


@pytest.mark.parametrize("hyper, name", [
    (dict(lr=-0.1), "lr"), (dict(beta=1.0), "beta"), (dict(beta=-0.1), "beta"),
    (dict(weight_decay=-1.0), "weight_decay"),
])
def test_invalid_hyperparameters_raise(hyper, name):
    with pytest.raises(ConfigError, match=f"EWAMomentum: invalid {name} value"):
        EWAMomentum([make_param(np.ones(2))], **hyper)

