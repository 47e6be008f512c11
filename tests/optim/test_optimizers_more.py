"""Adadelta, Adamax, NAdam and RAdam: PyTorch's trajectories, checkpoints, dtypes, devices and
the ConfigErrors for invalid hyperparameters.

The problems are a Rosenbrock valley and a tiny linear least-squares model (two parameters, two
parameter groups), with gradients computed in NumPy and given to both libraries, so the only
thing compared is the update rule: 100 steps in float64 must agree to 1e-6.
"""
import inspect

import numpy as np
import pytest

from minidl.errors import ConfigError
from minidl.optim import Adadelta, Adamax, NAdam, RAdam

from .helpers import make_param, set_grad
from .test_optimizer_api import _check_state_follows_parameters, stand_in_device  # noqa: F401

STEPS = 100

CASES = [
    (Adadelta, dict()),
    (Adadelta, dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    (Adadelta, dict(maximize=True)),
    (Adamax, dict()),
    (Adamax, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (Adamax, dict(maximize=True)),
    (NAdam, dict()),
    (NAdam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    (NAdam, dict(weight_decay=0.1, decoupled_weight_decay=True)),
    (NAdam, dict(maximize=True)),
    (RAdam, dict()),
    (RAdam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    (RAdam, dict(weight_decay=0.1, decoupled_weight_decay=True)),
    (RAdam, dict(maximize=True)),
]
IDS = [f"{cls.__name__}-{hyper}" for cls, hyper in CASES]


# ----------------------------------------------------------------------------- the problems
def rosenbrock_grad(params):
    """The gradient of (1 - x)² + 100 (y - x²)² at params = [array([x, y])]."""
    x, y = params[0]
    return [np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])]


_RNG = np.random.default_rng(0)
X, Y = _RNG.standard_normal((8, 4)), _RNG.standard_normal((8, 3))


def linear_grad(params):
    """The gradient of mean((X W^T + b - Y)²) with respect to W (3, 4) and b (3,)."""
    w, b = params
    residual = 2 * (X @ w.T + b - Y) / Y.size
    return [residual.T @ X, residual.sum(axis=0)]


PROBLEMS = {
    "rosenbrock": (rosenbrock_grad, lambda: [np.array([-1.2, 1.0])]),
    "linear": (linear_grad, lambda: [np.random.default_rng(1).standard_normal((3, 4)),
                                     np.zeros(3)]),
}


def sign(hyper):
    """maximize=True climbs its objective: give it the gradient of -f, so it still descends f."""
    return -1.0 if hyper.get("maximize") else 1.0


def groups_of(cls, params, hyper):
    """One group per parameter; a second group (if any) gets half the learning rate."""
    groups = [{"params": [params[0]]}]
    if len(params) > 1:
        lr = hyper.get("lr", inspect.signature(cls).parameters["lr"].default)
        groups.append({"params": params[1:], "lr": lr / 2})
    return groups


def run_minidl(cls, hyper, grad_fn, start, steps=STEPS, params=None, opt=None):
    params = params or [make_param(a) for a in start]
    opt = opt or cls(groups_of(cls, params, hyper), **hyper)
    trajectory = []
    for _ in range(steps):
        for p, g in zip(params, grad_fn([p._array for p in params])):
            set_grad(p, sign(hyper) * g)
        opt.step()
        trajectory.append(np.concatenate([p._array.ravel() for p in params]))
    return np.array(trajectory), params, opt


def run_torch(cls, hyper, grad_fn, start, steps=STEPS):
    torch = pytest.importorskip("torch")
    # PyTorch keeps scalar state (NAdam's mu_product) in the default dtype: make it float64 too.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _run_torch(torch, cls, hyper, grad_fn, start, steps)
    finally:
        torch.set_default_dtype(default_dtype)


def _run_torch(torch, cls, hyper, grad_fn, start, steps):
    params = [torch.tensor(a, requires_grad=True) for a in start]
    opt = getattr(torch.optim, cls.__name__)(groups_of(cls, params, hyper), **hyper)
    trajectory = []
    for _ in range(steps):
        grads = grad_fn([p.detach().numpy() for p in params])
        for p, g in zip(params, grads):
            p.grad = torch.tensor(sign(hyper) * g)
        opt.step()
        trajectory.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(trajectory)


# ---------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_trajectory_matches_pytorch(cls, hyper, problem):
    grad_fn, start = PROBLEMS[problem]
    if cls is Adadelta and "lr" not in hyper and problem == "rosenbrock":
        hyper = dict(hyper, lr=100.0)  # Adadelta's √eps-sized first steps barely move otherwise
    expected = run_torch(cls, hyper, grad_fn, start())
    got, _, _ = run_minidl(cls, hyper, grad_fn, start())
    assert np.abs(got[-1] - got[0]).max() > 1e-3  # the parameters did move
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_nadam_and_radam_defaults_are_pytorchs():
    p = make_param(np.ones(2))
    assert NAdam([p]).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                                       momentum_decay=4e-3, decoupled_weight_decay=False,
                                       maximize=False)
    assert RAdam([p]).defaults["lr"] == 1e-3 and Adamax([p]).defaults["lr"] == 2e-3
    assert Adadelta([p]).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                                          maximize=False)


def test_radam_takes_plain_momentum_steps_while_the_variance_is_unreliable():
    """ρ_t <= 5 for the first steps (β2 = 0.999: t <= 5): θ moves by exactly lr m̂ = lr g."""
    p = make_param(np.array([1.0, -2.0]))
    opt = RAdam([p], lr=0.1)
    set_grad(p, np.array([3.0, 4.0]))
    opt.step()
    np.testing.assert_allclose(p._array, [1.0 - 0.3, -2.0 - 0.4])


# ------------------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(cls, hyper):
    grad_fn, start = PROBLEMS["linear"]
    _, params, opt = run_minidl(cls, hyper, grad_fn, start(), steps=50)
    saved = opt.state_dict()
    copies = [make_param(p._array) for p in params]
    fresh = cls(groups_of(cls, copies, {}), **dict(hyper, lr=0.123))
    fresh.load_state_dict(saved)
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in opt.param_groups]
    expected, _, _ = run_minidl(cls, hyper, grad_fn, None, steps=50, params=params, opt=opt)
    got, _, _ = run_minidl(cls, hyper, grad_fn, None, steps=50, params=copies, opt=fresh)
    np.testing.assert_array_equal(got, expected)


def test_state_dict_is_a_snapshot_and_refuses_another_optimizers_state():
    grad_fn, start = PROBLEMS["linear"]
    _, params, opt = run_minidl(NAdam, {}, grad_fn, start(), steps=3)
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy(), saved["state"][0]["mu_product"]
    run_minidl(NAdam, {}, grad_fn, None, steps=2, params=params, opt=opt)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before[0])
    assert saved["state"][0]["mu_product"] == before[1]
    adamax = Adamax(groups_of(Adamax, [make_param(p._array) for p in params], {}))
    with pytest.raises(ConfigError, match="Adamax.load_state_dict"):
        adamax.load_state_dict(saved)


# ------------------------------------------------------------------------ dtypes and devices
@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_float32_stays_float32(cls, hyper):
    p = make_param(np.ones(5, dtype=np.float32))
    opt = cls([p], **hyper)
    opt.param_groups[0]["lr"] = np.float64(opt.param_groups[0]["lr"])
    for _ in range(7):
        set_grad(p, np.linspace(-1, 1, 5, dtype=np.float32))
        opt.step()
    assert p._array.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))


@pytest.mark.parametrize("cls, hyper", CASES[::3], ids=IDS[::3])
def test_state_lives_on_a_stand_in_device(stand_in_device, cls, hyper):
    _check_state_follows_parameters(stand_in_device, cls, hyper)


@pytest.mark.parametrize("cls, hyper", CASES[::3], ids=IDS[::3])
def test_state_lives_on_the_parameters_device(device, cls, hyper):
    _check_state_follows_parameters(device, cls, hyper)


# ------------------------------------------------------------------------ invalid arguments
INVALID = [
    (Adadelta, dict(lr=-1.0), "lr"),
    (Adadelta, dict(rho=1.5), "rho"),
    (Adadelta, dict(eps=-1e-6), "eps"),
    (Adadelta, dict(weight_decay=-0.1), "weight_decay"),
    (Adadelta, dict(maximize="yes"), "maximize"),
    (Adamax, dict(lr=-1.0), "lr"),
    (Adamax, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (Adamax, dict(betas=0.9), "betas"),
    (Adamax, dict(eps=float("nan")), "eps"),
    (NAdam, dict(momentum_decay=-1e-3), "momentum_decay"),
    (NAdam, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (NAdam, dict(decoupled_weight_decay=1), "decoupled_weight_decay"),
    (NAdam, dict(weight_decay=-0.1), "weight_decay"),
    (RAdam, dict(lr=-1e-3), "lr"),
    (RAdam, dict(betas=(-0.1, 0.999)), r"betas\[0\]"),
    (RAdam, dict(decoupled_weight_decay="no"), "decoupled_weight_decay"),
]


@pytest.mark.parametrize("cls, hyper, name", INVALID,
                         ids=[f"{c.__name__}-{h}" for c, h, _ in INVALID])
def test_invalid_hyperparameters_raise_config_error_naming_them(cls, hyper, name):
    with pytest.raises(ConfigError, match=f"{cls.__name__}: invalid {name} value"):
        cls([make_param(np.ones(2))], **hyper)
    with pytest.raises(ConfigError, match=rf"\(parameter group 0\): invalid {name} value"):
        cls([{"params": [make_param(np.ones(2))], **hyper}])
