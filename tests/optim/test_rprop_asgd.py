"""Rprop and ASGD: PyTorch's 50-step trajectories in float64 (the problems and runners of
``test_optimizers_more.py``: the same NumPy gradients given to both libraries), checkpoints,
float32, devices, and the ConfigErrors for invalid hyperparameters.
"""
import numpy as np
import pytest

from minidl.errors import ConfigError
from minidl.optim import ASGD, Rprop

from .helpers import make_param, set_grad
from .test_optimizer_api import _check_state_follows_parameters, stand_in_device  # noqa: F401
from .test_optimizers_more import PROBLEMS, groups_of, run_minidl, run_torch

STEPS = 50
CASES = [
    (Rprop, dict()),
    (Rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    (Rprop, dict(maximize=True)),
    (ASGD, dict()),
    (ASGD, dict(lr=0.02, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.1)),
    (ASGD, dict(t0=0, maximize=True)),
]
IDS = [f"{cls.__name__}-{hyper}" for cls, hyper in CASES]


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_trajectory_matches_pytorch(cls, hyper, problem):
    grad_fn, start = PROBLEMS[problem]
    if cls is ASGD and problem == "rosenbrock":
        hyper = dict(hyper, lr=1e-3)  # plain SGD steps of 0.01 diverge in the valley
    expected = run_torch(cls, hyper, grad_fn, start(), steps=STEPS)
    got, params, opt = run_minidl(cls, hyper, grad_fn, start(), steps=STEPS)
    assert np.abs(got[-1] - got[0]).max() > 1e-3  # the parameters did move
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_asgd_average_matches_pytorch():
    torch = pytest.importorskip("torch")
    grad_fn, start = PROBLEMS["linear"]
    hyper = dict(t0=5, lambd=0.01)
    _, params, opt = run_minidl(ASGD, hyper, grad_fn, start(), steps=STEPS)
    theirs = [torch.tensor(a, requires_grad=True) for a in start()]
    torch_opt = torch.optim.ASGD(groups_of(ASGD, theirs, hyper), **hyper)
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # PyTorch keeps eta and mu in the default dtype
    try:
        for _ in range(STEPS):
            for p, g in zip(theirs, grad_fn([p.detach().numpy() for p in theirs])):
                p.grad = torch.tensor(g)
            torch_opt.step()
    finally:
        torch.set_default_dtype(default_dtype)
    for p, t in zip(params, theirs):
        np.testing.assert_allclose(opt.state[p]["ax"], torch_opt.state[t]["ax"].numpy(),
                                   rtol=1e-9)
        assert opt.state[p]["mu"] == pytest.approx(torch_opt.state[t]["mu"].item())


def test_defaults_are_pytorchs():
    p = make_param(np.ones(2))
    assert Rprop([p]).defaults == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
                                       maximize=False)
    assert ASGD([p]).defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6,
                                      weight_decay=0, maximize=False)


def test_rprop_steps_by_sign_only():
    """The first step is lr against the gradient's sign, whatever its size; a sign change
    shrinks the step by etaminus and skips the move."""
    p = make_param(np.array([1.0, -2.0]))
    opt = Rprop([p], lr=0.1)
    set_grad(p, np.array([300.0, -1e-4]))
    opt.step()
    np.testing.assert_allclose(p._array, [0.9, -1.9])
    set_grad(p, np.array([-1.0, -1.0]))
    opt.step()
    np.testing.assert_allclose(p._array, [0.9, -1.9 + 0.12])
    np.testing.assert_allclose(opt.state[p]["step_size"], [0.05, 0.12])


@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(cls, hyper):
    grad_fn, start = PROBLEMS["linear"]
    _, params, opt = run_minidl(cls, hyper, grad_fn, start(), steps=20)
    copies = [make_param(p._array) for p in params]
    fresh = cls(groups_of(cls, copies, {}), **hyper)
    fresh.load_state_dict(opt.state_dict())
    expected, _, _ = run_minidl(cls, hyper, grad_fn, None, steps=20, params=params, opt=opt)
    got, _, _ = run_minidl(cls, hyper, grad_fn, None, steps=20, params=copies, opt=fresh)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("cls, hyper", CASES, ids=IDS)
def test_float32_stays_float32(cls, hyper):
    p = make_param(np.ones(5, dtype=np.float32))
    opt = cls([p], **hyper)
    for _ in range(7):
        set_grad(p, np.linspace(-1, 1, 5, dtype=np.float32))
        opt.step()
    assert p._array.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))


@pytest.mark.parametrize("cls", [Rprop, ASGD])
def test_state_lives_on_a_stand_in_device(stand_in_device, cls):
    _check_state_follows_parameters(stand_in_device, cls, {})


INVALID = [
    (Rprop, dict(lr=-1.0), "lr"),
    (Rprop, dict(etas=(1.5, 1.2)), "etas"),
    (Rprop, dict(etas=(0.5, 0.9)), "etas"),
    (Rprop, dict(etas=0.5), "etas"),
    (Rprop, dict(step_sizes=(1e-6, "50")), r"step_sizes\[1\]"),
    (Rprop, dict(maximize=1), "maximize"),
    (ASGD, dict(lr=-0.1), "lr"),
    (ASGD, dict(weight_decay=-1.0), "weight_decay"),
    (ASGD, dict(alpha=float("nan")), "alpha"),
    (ASGD, dict(t0="1e6"), "t0"),
]


@pytest.mark.parametrize("cls, hyper, name", INVALID,
                         ids=[f"{c.__name__}-{h}" for c, h, _ in INVALID])
def test_invalid_hyperparameters_raise_config_error_naming_them(cls, hyper, name):
    with pytest.raises(ConfigError, match=f"{cls.__name__}: invalid {name} value"):
        cls([make_param(np.ones(2))], **hyper)
