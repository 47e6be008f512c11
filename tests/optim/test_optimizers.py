"""Optimizers against independent NumPy references of their published update rules.

Each ``reference_*`` function below is written from the algorithm as published (PyTorch's docs,
which follow the papers), as a plain loop over a whole trajectory, so it shares no code with
``minidl.optim``. The problem is a random quadratic ``f(x) = 0.5 x^T A x - b^T x`` whose gradient
``A x - b`` is computed in NumPy and assigned to ``p.grad``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.optim import SGD, Adagrad, Adam, AdamW, RMSprop

from .helpers import make_param, set_grad

STEPS = 100
DIM = 6


# ----------------------------------------------------------------------------- the problem
def quadratic(seed=0, dim=DIM):
    """A random positive-definite A, a vector b and a start x0."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((dim, dim))
    a = m @ m.T / dim + np.eye(dim)
    return a, rng.standard_normal(dim), rng.standard_normal(dim)


def run_minidl(cls, hyper, x0, grad_fn, steps=STEPS):
    """The parameter after each of ``steps`` optimizer steps."""
    p = make_param(x0)
    opt = cls([p], **hyper)
    trajectory = []
    for _ in range(steps):
        set_grad(p, grad_fn(p._array))
        opt.step()
        trajectory.append(p._array.copy())
    return np.array(trajectory)


# ------------------------------------------------------------------- published update rules
def reference_sgd(x, grad_fn, steps, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    trajectory, b = [], None
    for t in range(1, steps + 1):
        g = grad_fn(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        if momentum:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        x = x - lr * g
        trajectory.append(x)
    return np.array(trajectory)


def reference_adagrad(x, grad_fn, steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    trajectory, total = [], np.full_like(x, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad_fn(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        decayed_lr = lr / (1 + (t - 1) * lr_decay)
        total = total + g ** 2
        x = x - decayed_lr * g / (np.sqrt(total) + eps)
        trajectory.append(x)
    return np.array(trajectory)


def reference_rmsprop(x, grad_fn, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                      momentum=0.0, centered=False, maximize=False):
    trajectory = []
    v, g_ave, b = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for _ in range(steps):
        g = grad_fn(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave ** 2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            x = x - lr * b
        else:
            x = x - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append(x)
    return np.array(trajectory)


def reference_adam(x, grad_fn, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    beta1, beta2 = betas
    trajectory = []
    m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for t in range(1, steps + 1):
        g = grad_fn(x)
        if maximize:
            g = -g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(x)
    return np.array(trajectory)


def reference_adamw(x, grad_fn, steps, weight_decay=1e-2, **hyper):
    return reference_adam(x, grad_fn, steps, weight_decay=weight_decay, decoupled=True, **hyper)


REFERENCES = {SGD: reference_sgd, Adagrad: reference_adagrad, RMSprop: reference_rmsprop,
              Adam: reference_adam, AdamW: reference_adamw}

SETTINGS = [
    (SGD, dict(lr=0.05)),
    (SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.9)),
    (SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.05)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.05, weight_decay=0.1)),
    (SGD, dict(lr=0.05, momentum=0.5, maximize=True, weight_decay=0.01)),
    (Adagrad, dict()),
    (Adagrad, dict(lr=0.3)),
    (Adagrad, dict(lr=0.3, lr_decay=0.05)),
    (Adagrad, dict(lr=0.3, initial_accumulator_value=0.5, weight_decay=0.1)),
    (Adagrad, dict(lr=0.3, maximize=True)),
    (RMSprop, dict()),
    (RMSprop, dict(centered=True)),
    (RMSprop, dict(momentum=0.9)),
    (RMSprop, dict(lr=0.003, momentum=0.5, centered=True, alpha=0.9)),
    (RMSprop, dict(weight_decay=0.1, alpha=0.8, eps=1e-4, maximize=True)),
    (Adam, dict()),
    (Adam, dict(lr=0.05)),
    (Adam, dict(lr=0.05, amsgrad=True)),
    (Adam, dict(lr=0.05, weight_decay=0.1)),
    (Adam, dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, maximize=True)),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
]


def _gradient_for(a, b, maximize):
    # With maximize=True, climb the concave -f so that both runs converge instead of blowing up.
    sign = -1.0 if maximize else 1.0
    return lambda x: sign * (a @ x - b)


@pytest.mark.parametrize("cls, hyper", SETTINGS,
                         ids=[f"{c.__name__}-{h}" for c, h in SETTINGS])
def test_matches_published_update(cls, hyper):
    a, b, x0 = quadratic()
    grad_fn = _gradient_for(a, b, hyper.get("maximize", False))
    ours = run_minidl(cls, hyper, x0, grad_fn)
    expected = REFERENCES[cls](x0, grad_fn, STEPS, **hyper)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-12)
    assert np.all(np.isfinite(ours))


HYPER_STRATEGIES = {
    SGD: st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.1), "momentum": st.sampled_from([0.0, 0.5, 0.9]),
        "dampening": st.sampled_from([0.0, 0.5]), "weight_decay": st.sampled_from([0.0, 0.1]),
        "maximize": st.booleans()}),
    Adagrad: st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.5), "lr_decay": st.sampled_from([0.0, 0.1]),
        "initial_accumulator_value": st.floats(0.0, 1.0), "maximize": st.booleans()}),
    RMSprop: st.fixed_dictionaries({
        "lr": st.floats(1e-4, 0.01), "alpha": st.floats(0.5, 0.999),
        "momentum": st.sampled_from([0.0, 0.9]), "centered": st.booleans(),
        "weight_decay": st.sampled_from([0.0, 0.1])}),
    Adam: st.fixed_dictionaries({
        "lr": st.floats(1e-4, 0.1), "betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.999)),
        "amsgrad": st.booleans(), "weight_decay": st.sampled_from([0.0, 0.1]),
        "maximize": st.booleans()}),
    AdamW: st.fixed_dictionaries({
        "lr": st.floats(1e-4, 0.1), "weight_decay": st.floats(0.0, 0.5), "amsgrad": st.booleans()}),
}


@pytest.mark.parametrize("cls", list(HYPER_STRATEGIES), ids=lambda c: c.__name__)
@settings(deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_matches_published_update_for_random_hyperparameters(cls, data, seed):
    hyper = data.draw(HYPER_STRATEGIES[cls], label="hyperparameters")
    a, b, x0 = quadratic(seed)
    grad_fn = _gradient_for(a, b, hyper.get("maximize", False))
    ours = run_minidl(cls, hyper, x0, grad_fn, steps=30)
    expected = REFERENCES[cls](x0, grad_fn, 30, **hyper)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-12)


def test_sgd_ewa_momentum_equals_pytorch_momentum_with_scaled_lr():
    """SGD's docstring: v <- beta v + (1-beta) g with lr == b <- beta b + g with lr (1-beta)."""
    a, b, x0 = quadratic()
    beta, lr = 0.9, 0.1
    x, v, trajectory = x0, np.zeros_like(x0), []
    for _ in range(STEPS):
        v = beta * v + (1 - beta) * (a @ x - b)
        x = x - lr * v
        trajectory.append(x)
    ours = run_minidl(SGD, dict(lr=lr * (1 - beta), momentum=beta), x0, lambda x: a @ x - b)
    np.testing.assert_allclose(ours, np.array(trajectory), rtol=1e-6, atol=1e-12)


def test_adamw_without_weight_decay_is_adam():
    a, b, x0 = quadratic()
    grad_fn = _gradient_for(a, b, False)
    adam = run_minidl(Adam, dict(lr=0.05), x0, grad_fn)
    adamw = run_minidl(AdamW, dict(lr=0.05, weight_decay=0.0), x0, grad_fn)
    np.testing.assert_array_equal(adam, adamw)


# -------------------------------------------------------------------- optional: PyTorch itself
TORCH_SETTINGS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, hyper", TORCH_SETTINGS, ids=[n for n, _ in TORCH_SETTINGS])
def test_matches_pytorch_when_installed(name, hyper):
    torch = pytest.importorskip("torch")
    a, b, x0 = quadratic()
    grad_fn = _gradient_for(a, b, hyper.get("maximize", False))
    ours = run_minidl(getattr(minidl.optim, name), hyper, x0, grad_fn)
    tp = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **hyper)
    theirs = []
    for _ in range(STEPS):
        tp.grad = torch.from_numpy(grad_fn(tp.detach().numpy().copy()))
        topt.step()
        theirs.append(tp.detach().numpy().copy())
    # PyTorch computes some moving averages with lerp, so agreement is to rounding, not bits.
    np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-6, atol=1e-12)

