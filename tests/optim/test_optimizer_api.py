"""The Optimizer API: parameter groups, skipped and zero gradients, checkpoints, dtypes, devices,
and the ConfigErrors for invalid hyperparameters. (Update rules: ``test_optimizers.py``.)"""
import numpy as np
import pytest

import minidl
from minidl import backend
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError
from minidl.optim import SGD, Adagrad, Adam, AdamW, EWAMomentum, Optimizer, RMSprop

from .helpers import make_param, set_grad

ALL_FLAGS = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    (EWAMomentum, dict(lr=0.1, bias_correction=True, weight_decay=0.1, maximize=True)),
    (Adagrad, dict(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1)),
    (RMSprop, dict(momentum=0.9, centered=True, weight_decay=0.1)),
    (Adam, dict(amsgrad=True, weight_decay=0.1)),
    (AdamW, dict(amsgrad=True)),
]
FLAG_IDS = [f"{c.__name__}-{h}" for c, h in ALL_FLAGS]


def test_param_groups_use_their_own_hyperparameters():
    p, q = make_param(np.ones(3)), make_param(np.ones(3))
    opt = SGD([{"params": [p], "lr": 0.1}, {"params": [q]}], lr=0.01, momentum=0.0)
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[0]["momentum"] == 0.0
    set_grad(p, np.ones(3))
    set_grad(q, np.ones(3))
    opt.step()
    np.testing.assert_allclose(p._array, 0.9)
    np.testing.assert_allclose(q._array, 0.99)


def test_add_param_group_and_duplicates():
    p, q = make_param(np.ones(2)), make_param(np.ones(2))
    opt = Adam([p])
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["params"][0] is q and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)


def test_bad_params_arguments():
    p = make_param(np.ones(2))
    with pytest.raises(ConfigError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ConfigTypeError, match="single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(ConfigTypeError, match="set"):
        SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ConfigTypeError, match="Tensors"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ConfigError, match="non-leaf"):
        SGD([p * 2], lr=0.1)


@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_all_zero_gradients_give_no_nan(cls, hyper):
    p = make_param(np.zeros(4))
    opt = cls([p], **hyper)
    for _ in range(5):
        set_grad(p, np.zeros(4))
        opt.step()
    assert np.all(np.isfinite(p._array))
    for value in opt.state[p].values():
        assert np.all(np.isfinite(value))


@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_parameter_without_grad_is_untouched(cls, hyper):
    p, frozen = make_param(np.ones(3)), make_param(np.full(3, 2.0))
    opt = cls([p, frozen], **hyper)
    set_grad(p, np.ones(3))
    opt.step()
    np.testing.assert_array_equal(frozen._array, 2.0)
    assert frozen not in opt.state or not opt.state[frozen]
    assert not np.array_equal(p._array, np.ones(3))


def test_zero_grad():
    p = make_param(np.ones(3))
    opt = SGD([p], lr=0.1)
    set_grad(p, np.ones(3))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad._array, 0.0)
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_its_loss():
    p = make_param(np.ones(3))
    opt = SGD([p], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        set_grad(p, 2 * p._array)
        return float((p._array ** 2).sum())

    assert opt.step(closure) == 3.0
    assert calls == [1]
    np.testing.assert_allclose(p._array, 0.8)


# -------------------------------------------------------------------------------- state_dict
def _two_group_run(cls, hyper, steps, params=None, opt=None, seed=0):
    """Train two parameters (in two groups) for ``steps`` on fixed random gradients."""
    rng = np.random.default_rng(seed)
    if params is None:
        params = [make_param(rng.standard_normal((3, 2))), make_param(rng.standard_normal(4))]
    if opt is None:
        opt = cls([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01}], **hyper)
    for _ in range(steps):
        for p in params:
            set_grad(p, rng.standard_normal(p.shape))
        opt.step()
    return params, opt


@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_state_dict_round_trip_continues_bit_identically(cls, hyper):
    params, opt = _two_group_run(cls, hyper, steps=7)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    for per_param in saved["state"].values():
        for value in per_param.values():
            assert isinstance(value, (int, float, np.ndarray))
    copies = [make_param(p._array) for p in params]
    fresh = cls([{"params": [copies[0]]}, {"params": [copies[1]], "lr": 0.5}], **hyper)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.01
    # Continue both with the same gradient stream (same seed for the next 5 steps).
    _two_group_run(cls, hyper, steps=5, params=params, opt=opt, seed=1)
    _two_group_run(cls, hyper, steps=5, params=copies, opt=fresh, seed=1)
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(p._array, c._array)


def test_state_dict_is_a_snapshot():
    params, opt = _two_group_run(Adam, {}, steps=2)
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    _two_group_run(Adam, {}, steps=1, params=params, opt=opt)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_load_state_dict_rejects_mismatches_and_leaves_optimizer_unchanged():
    params, opt = _two_group_run(Adam, {}, steps=2)
    saved = opt.state_dict()
    one_group = Adam([make_param(np.ones((3, 2))), make_param(np.ones(4))])
    with pytest.raises(ValueError, match="parameter group"):
        one_group.load_state_dict(saved)
    short = Adam([{"params": [make_param(np.ones((3, 2)))]}, {"params": []}])
    with pytest.raises(ValueError, match="group 1 has 0 parameter"):
        short.load_state_dict(saved)
    wrong_shape = [make_param(np.ones((2, 3))), make_param(np.ones(4))]
    target = Adam([{"params": [wrong_shape[0]]}, {"params": [wrong_shape[1]]}], lr=0.5)
    with pytest.raises(ValueError, match=r"exp_avg.*shape \(3, 2\).*\(2, 3\)"):
        target.load_state_dict(saved)
    assert target.param_groups[0]["lr"] == 0.5 and not target.state


def test_load_state_dict_accepts_json_style_keys():
    params, opt = _two_group_run(SGD, dict(lr=0.1, momentum=0.9), steps=2)
    saved = opt.state_dict()
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    fresh = SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.1, momentum=0.9)
    fresh.load_state_dict(saved)
    np.testing.assert_array_equal(fresh.state[params[0]]["momentum_buffer"],
                                  opt.state[params[0]]["momentum_buffer"])


# ------------------------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_float32_parameters_and_state_stay_float32(cls, hyper):
    p = make_param(np.ones(5, dtype=np.float32))
    opt = cls([p], **hyper)
    # A NumPy float64 scalar lr (as a schedule or a checkpoint may produce) must not promote.
    opt.param_groups[0]["lr"] = np.float64(opt.param_groups[0]["lr"])
    for _ in range(3):
        set_grad(p, np.linspace(-1, 1, 5, dtype=np.float32))
        opt.step()
    assert p._array.dtype == np.float32
    for name, value in opt.state[p].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, name


def test_load_state_dict_casts_state_to_parameter_dtype():
    p64 = make_param(np.ones(3))
    opt = Adam([p64])
    set_grad(p64, np.ones(3))
    opt.step()
    p32 = make_param(np.ones(3, dtype=np.float32))
    fresh = Adam([p32])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.state[p32]["exp_avg"].dtype == np.float32


# ----------------------------------------------------------------------------------- devices
class StandInArray(np.ndarray):
    """Arrays of the stand-in device: NumPy arrays of their own type, so device mix-ups show."""


@pytest.fixture
def stand_in_device():
    """A device "standin" whose arrays are StandInArray: exercises device plumbing without a GPU."""
    backend.register_backend(backend.Backend(
        name="standin", xp=np, array_type=StandInArray,
        to_device=lambda host, index: np.array(host).view(StandInArray),
        to_host=lambda array: array.view(np.ndarray), device_index=lambda array: 0,
        scatter_add=np.add.at, device_count=lambda: 1))
    yield "standin:0"
    backend.unregister_backend("standin")


def _train_on(device, cls, hyper, steps=5):
    """Parameters and optimizer after ``steps`` steps on fixed float32 gradients on ``device``."""
    rng = np.random.default_rng(0)
    p = minidl.tensor(rng.standard_normal((4, 3)).astype(np.float32), device=device,
                      requires_grad=True)
    opt = cls([p], **hyper)
    for _ in range(steps):
        p.grad = minidl.tensor(rng.standard_normal((4, 3)).astype(np.float32), device=device)
        opt.step()
    return p, opt


def _check_state_follows_parameters(device, cls, hyper):
    p, opt = _train_on(device, cls, hyper)
    cpu_p, _ = _train_on("cpu", cls, hyper)
    assert p.device == backend.parse_device(device) and p.dtype == np.float32
    np.testing.assert_allclose(backend.to_host(p._array), cpu_p._array, rtol=1e-5, atol=1e-6)
    for name, value in opt.state[p].items():
        if hasattr(value, "shape"):
            assert backend.device_of(value) == p.device, name
            assert value.dtype == np.float32, name
    # A checkpoint taken on this device loads onto CPU parameters (and continues there).
    cpu_p, cpu_opt = _train_on("cpu", cls, hyper, steps=0)
    cpu_opt.load_state_dict(opt.state_dict())
    for value in cpu_opt.state[cpu_p].values():
        assert not hasattr(value, "shape") or type(value) is np.ndarray


@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_state_lives_on_the_parameters_device(device, cls, hyper):
    _check_state_follows_parameters(device, cls, hyper)


@pytest.mark.parametrize("cls, hyper", ALL_FLAGS, ids=FLAG_IDS)
def test_state_lives_on_a_stand_in_device(stand_in_device, cls, hyper):
    _check_state_follows_parameters(stand_in_device, cls, hyper)


# ------------------------------------------------------------------------ invalid arguments
INVALID = [
    (SGD, dict(lr=-0.1), "lr"),
    (SGD, dict(lr=float("nan")), "lr"),
    (SGD, dict(momentum=-0.5), "momentum"),
    (SGD, dict(dampening=-0.1), "dampening"),
    (SGD, dict(dampening=1.5), "dampening"),
    (SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (SGD, dict(nesterov=True), "nesterov"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (Adagrad, dict(lr=-1.0), "lr"),
    (Adagrad, dict(lr_decay=-0.1), "lr_decay"),
    (Adagrad, dict(weight_decay=-0.1), "weight_decay"),
    (Adagrad, dict(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    (Adagrad, dict(eps=-1e-10), "eps"),
    (RMSprop, dict(lr=-1.0), "lr"),
    (RMSprop, dict(alpha=-0.1), "alpha"),
    (RMSprop, dict(alpha=1.5), "alpha"),
    (RMSprop, dict(eps=-1.0), "eps"),
    (RMSprop, dict(momentum=-0.9), "momentum"),
    (RMSprop, dict(weight_decay=-0.1), "weight_decay"),
    (Adam, dict(lr=-1e-3), "lr"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (Adam, dict(betas=(0.9,)), "betas"),
    (Adam, dict(eps=-1e-8), "eps"),
    (Adam, dict(weight_decay=-0.1), "weight_decay"),
    (AdamW, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (AdamW, dict(weight_decay=-0.01), "weight_decay"),
]


@pytest.mark.parametrize("cls, hyper, name", INVALID,
                         ids=[f"{c.__name__}-{h}" for c, h, _ in INVALID])
def test_invalid_hyperparameters_raise_config_error_naming_them(cls, hyper, name):
    with pytest.raises(ConfigError, match=f"{cls.__name__}: invalid {name} value"):
        cls([make_param(np.ones(2))], **hyper)
    # The same value given for one parameter group is refused as well, naming the group.
    with pytest.raises(ConfigError, match=rf"\(parameter group 0\): invalid {name} value"):
        cls([{"params": [make_param(np.ones(2))], **hyper}])


def test_repr_lists_groups():
    text = repr(SGD([make_param(np.ones(2))], lr=0.1))
    assert text.startswith("SGD (") and "lr: 0.1" in text


def test_base_class_requires_an_update_rule():
    p = make_param(np.ones(2))
    opt = Optimizer([p], dict(lr=0.1))
    set_grad(p, np.ones(2))
    with pytest.raises(NotImplementedError):
        opt.step()
