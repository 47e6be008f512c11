"""Misuse of optimizers, schedules and gradient clipping: every bad input is a minidl error.

One table of bad calls (the error class each must raise and the words its message must hold:
the optimizer or scheduler, the argument, the value), then the cases where refusing is not
enough and what must *not* happen is checked too: a wrong ``.grad`` leaves the parameter
untouched, a refused snapshot leaves the optimizer or scheduler as it was, a refused learning
rate leaves the schedule where it was.
"""
import math
import warnings

import numpy as np
import pytest
from fake_device import fake  # noqa: F401 (a fixture)

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, DeviceError, DTypeError, MinidlError, ShapeError
from minidl.nn.utils import clip_grad_norm_, clip_grad_value_
from minidl.optim import SGD, Adagrad, Adam, AdamW, EWAMomentum, RMSprop
from minidl.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

from .helpers import make_param, set_grad

OPTIMIZERS = [SGD, EWAMomentum, Adagrad, RMSprop, Adam, AdamW]
# Settings under which each optimizer keeps state for every parameter it has stepped.
STATEFUL = {SGD: dict(lr=0.1, momentum=0.9), EWAMomentum: {}, Adagrad: {}, RMSprop: {},
            Adam: {}, AdamW: {}}


def weight():
    return make_param(np.arange(6.0).reshape(2, 3))


def sgd(**kwargs):
    return SGD([weight()], **{"lr": 0.1, **kwargs})


def stepped(cls, hyper=None, p=None):
    """An optimizer of type ``cls`` over ``p`` after one step."""
    p = weight() if p is None else p
    opt = cls([p], **(STATEFUL[cls] if hyper is None else hyper))
    set_grad(p, np.ones(p.shape))
    opt.step()
    return opt


CASES = [
    # -- hyperparameters of the wrong kind
    ("lr-string", lambda: SGD([weight()], lr="0.1"), ConfigTypeError,
     ["SGD", "lr", "'0.1'", "str"]),
    ("lr-none", lambda: Adam([weight()], lr=None), ConfigTypeError, ["Adam", "lr", "None"]),
    ("lr-bool", lambda: SGD([weight()], lr=True), ConfigTypeError, ["SGD", "lr", "True"]),
    ("lr-array", lambda: SGD([weight()], lr=np.array([0.1])), ConfigTypeError, ["SGD", "lr"]),
    ("betas-float", lambda: Adam([weight()], betas=0.9), ConfigTypeError,
     ["Adam", "betas", "0.9", "pair"]),
    ("betas-triple", lambda: AdamW([weight()], betas=(0.9, 0.99, 0.9)), ConfigTypeError,
     ["AdamW", "betas"]),
    ("betas-string", lambda: Adam([weight()], betas=("0.9", 0.999)), ConfigTypeError,
     ["Adam", "betas[0]", "'0.9'"]),
    ("nesterov-string", lambda: sgd(momentum=0.9, nesterov="yes"), ConfigTypeError,
     ["SGD", "nesterov", "'yes'"]),
    ("maximize-int", lambda: RMSprop([weight()], maximize=1), ConfigTypeError,
     ["RMSprop", "maximize", "1"]),
    ("amsgrad-none", lambda: Adam([weight()], amsgrad=None), ConfigTypeError,
     ["Adam", "amsgrad", "None"]),
    ("eps-string", lambda: Adagrad([weight()], eps="1e-10"), ConfigTypeError,
     ["Adagrad", "eps", "'1e-10'"]),
    # -- values out of range
    ("lr-negative", lambda: sgd(lr=-1), ConfigError, ["SGD", "invalid lr value: -1", ">= 0"]),
    ("lr-nan", lambda: Adam([weight()], lr=math.nan), ConfigError, ["Adam", "lr", "nan"]),
    ("momentum-inf-nan", lambda: sgd(momentum=math.nan), ConfigError, ["SGD", "momentum"]),
    ("beta-one", lambda: EWAMomentum([weight()], beta=1.0), ConfigError,
     ["EWAMomentum", "beta", "[0, 1)"]),
    ("group-lr", lambda: SGD([{"params": [weight()], "lr": -0.5}], lr=0.1), ConfigError,
     ["SGD (parameter group 0)", "lr", "-0.5"]),
    ("added-group-lr", lambda: sgd().add_param_group({"params": [weight()], "lr": "x"}),
     ConfigTypeError, ["SGD (parameter group 1)", "lr", "'x'"]),
    # -- params
    ("params-tensor", lambda: SGD(weight(), lr=0.1), ConfigTypeError, ["SGD", "single Tensor"]),
    ("params-number", lambda: SGD(3, lr=0.1), ConfigTypeError, ["SGD", "iterable", "int"]),
    ("params-empty", lambda: Adam([]), ConfigError, ["Adam", "empty"]),
    ("params-array", lambda: SGD([np.ones(2)], lr=0.1), ConfigTypeError,
     ["SGD (parameter group 0)", "parameter 0", "ndarray"]),
    ("params-int-tensor", lambda: SGD([minidl.tensor([1, 2])], lr=0.1), DTypeError,
     ["SGD (parameter group 0)", "int64", "floating-point"]),
    ("params-set", lambda: SGD([{"params": {weight()}}], lr=0.1), ConfigTypeError,
     ["SGD", "set"]),
    ("group-not-dict", lambda: sgd().add_param_group([weight()]), ConfigTypeError,
     ["SGD (parameter group 1)", "dict", "list"]),
    ("group-no-params", lambda: sgd().add_param_group({"lr": 0.1}), ConfigError,
     ["SGD (parameter group 1)", "'params'"]),
    # -- snapshots that do not fit
    ("load-empty", lambda: sgd().load_state_dict({}), ConfigError,
     ["SGD.load_state_dict", "'state' and 'param_groups'"]),
    ("load-not-dict", lambda: sgd().load_state_dict([1, 2]), ConfigError,
     ["SGD.load_state_dict", "list"]),
    ("load-sgd-into-adam", lambda: Adam([weight()]).load_state_dict(
        stepped(SGD).state_dict()), ConfigError,
     ["Adam.load_state_dict", "'betas'", "'momentum'", "another type of optimizer"]),
    ("load-adam-into-rmsprop", lambda: RMSprop([weight()]).load_state_dict(
        stepped(Adam).state_dict()), ConfigError, ["RMSprop.load_state_dict", "'alpha'"]),
    ("load-bad-key", lambda: sgd().load_state_dict(
        {"state": {"abc": {}}, "param_groups": sgd().state_dict()["param_groups"]}),
     ConfigError, ["SGD.load_state_dict", "'abc'", "not a parameter index"]),
    ("load-unknown-index", lambda: sgd().load_state_dict(
        {"state": {7: {}}, "param_groups": sgd().state_dict()["param_groups"]}),
     ConfigError, ["SGD.load_state_dict", "parameter 7"]),
    ("load-groups-not-list", lambda: sgd().load_state_dict({"state": {}, "param_groups": 3}),
     ConfigError, ["SGD.load_state_dict", "int"]),
    ("load-bad-saved-lr", lambda: sgd().load_state_dict(
        {"state": {}, "param_groups": [dict(sgd().state_dict()["param_groups"][0], lr=-1)]}),
     ConfigError, ["SGD.load_state_dict (parameter group 0)", "lr", "-1"]),
    # -- schedulers
    ("sched-optimizer", lambda: StepLR("sgd", 3), ConfigTypeError,
     ["StepLR", "str is not an Optimizer"]),
    ("sched-step-size-float", lambda: StepLR(sgd(), 2.5), ConfigTypeError,
     ["StepLR", "step_size", "2.5"]),
    ("sched-gamma-string", lambda: ExponentialLR(sgd(), "0.9"), ConfigTypeError,
     ["ExponentialLR", "gamma", "'0.9'"]),
    ("sched-gamma-nan", lambda: MultiStepLR(sgd(), [2], gamma=math.nan), ConfigError,
     ["MultiStepLR", "gamma", "nan"]),
    ("sched-milestones-int", lambda: MultiStepLR(sgd(), 5), ConfigTypeError,
     ["MultiStepLR", "milestones", "5"]),
    ("sched-t-max-none", lambda: CosineAnnealingLR(sgd(), None), ConfigTypeError,
     ["CosineAnnealingLR", "T_max", "None"]),
    ("sched-last-epoch", lambda: StepLR(sgd(), 3, last_epoch=-5), ConfigError,
     ["StepLR", "last_epoch", "-5"]),
    ("sched-lambda-number", lambda: LambdaLR(sgd(), 0.5), ConfigTypeError,
     ["LambdaLR", "lr_lambda", "0.5"]),
    ("sched-lambda-negative", lambda: LambdaLR(sgd(), lambda epoch: -1.0), ConfigError,
     ["LambdaLR", "epoch 0", "group 0", "-0.1", ">= 0"]),
    ("sched-lambda-nan", lambda: LambdaLR(sgd(), lambda epoch: math.nan), ConfigError,
     ["LambdaLR", "nan"]),
    ("sched-lambda-string", lambda: LambdaLR(sgd(), lambda epoch: "1"), ConfigTypeError,
     ["LambdaLR", "returned '1'", "epoch 0"]),
    ("sched-linear-total", lambda: LinearLR(sgd(), total_iters=0), ConfigError,
     ["LinearLR", "total_iters", "0"]),
    ("sched-sequential-list", lambda: SequentialLR(sgd(), StepLR(sgd(), 2), [1]),
     ConfigTypeError, ["SequentialLR", "schedulers"]),
    ("plateau-mode", lambda: ReduceLROnPlateau(sgd(), mode="minimum"), ConfigError,
     ["ReduceLROnPlateau", "mode", "'minimum'", "'min'"]),
    ("plateau-patience", lambda: ReduceLROnPlateau(sgd(), patience=2.5), ConfigTypeError,
     ["ReduceLROnPlateau", "patience", "2.5"]),
    ("plateau-metric-string", lambda: ReduceLROnPlateau(sgd()).step("abc"), ConfigTypeError,
     ["ReduceLROnPlateau.step", "'abc'", "number"]),
    ("plateau-metric-none", lambda: ReduceLROnPlateau(sgd()).step(None), ConfigTypeError,
     ["ReduceLROnPlateau.step", "None"]),
    ("plateau-metric-vector", lambda: ReduceLROnPlateau(sgd()).step(minidl.ones(3)),
     ConfigTypeError, ["ReduceLROnPlateau.step", "Tensor"]),
    ("sched-load-other-type", lambda: CosineAnnealingLR(sgd(), 10).load_state_dict(
        StepLR(sgd(), 3).state_dict()), ConfigError,
     ["CosineAnnealingLR.load_state_dict", "'T_max'", "'step_size'", "another type"]),
    ("sched-load-not-dict", lambda: StepLR(sgd(), 3).load_state_dict("state"),
     ConfigTypeError, ["StepLR.load_state_dict", "str"]),
    ("sched-load-bad-value", lambda: StepLR(sgd(), 3).load_state_dict(
        dict(StepLR(sgd(), 3).state_dict(), last_epoch="ten")), ConfigError,
     ["StepLR.load_state_dict", "'last_epoch'", "'ten'"]),
    ("plateau-load-other", lambda: ReduceLROnPlateau(sgd()).load_state_dict(
        StepLR(sgd(), 3).state_dict()), ConfigError, ["ReduceLROnPlateau.load_state_dict"]),
    # -- clipping
    ("clip-max-norm-nan", lambda: clip_grad_norm_(stepped(SGD).param_groups[0]["params"],
                                                  math.nan), ConfigError,
     ["clip_grad_norm_", "max_norm", "nan"]),
    ("clip-max-norm-negative", lambda: clip_grad_norm_(weight(), -1.0), ConfigError,
     ["clip_grad_norm_", "max_norm", "-1.0"]),
    ("clip-max-norm-string", lambda: clip_grad_norm_(weight(), "1"), ConfigTypeError,
     ["clip_grad_norm_", "max_norm", "'1'"]),
    ("clip-norm-type", lambda: clip_grad_norm_(weight(), 1.0, norm_type=0), ConfigError,
     ["clip_grad_norm_", "norm_type", "> 0"]),
    ("clip-params", lambda: clip_grad_norm_([np.ones(3)], 1.0), ConfigTypeError,
     ["clip_grad_norm_", "item 0", "ndarray"]),
    ("clip-params-number", lambda: clip_grad_value_(3, 1.0), ConfigTypeError,
     ["clip_grad_value_", "int"]),
    ("clip-value-nan", lambda: clip_grad_value_(weight(), math.nan), ConfigError,
     ["clip_grad_value_", "clip_value", "nan"]),
]


@pytest.mark.parametrize("call, error, words", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_is_a_minidl_error_naming_it(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, MinidlError)
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"


def test_config_errors_are_also_the_builtin_errors():
    with pytest.raises(ValueError):
        sgd(lr=-1)
    with pytest.raises(TypeError):
        sgd(lr="0.1")
    with pytest.raises(ValueError):  # a wrong kind is also a ValueError, like every ConfigError
        Adam([weight()], betas=0.9)


# ---------------------------------------------------------------------------- wrong .grad
@pytest.mark.parametrize("cls", OPTIMIZERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("grad, error, words", [
    (np.ones(3), ShapeError, ["shape (3,)", "(2, 3)"]),  # NumPy would broadcast it into each row
    (np.ones((3, 2)), ShapeError, ["shape (3, 2)"]),
    (np.ones((2, 3), dtype=np.float32), DTypeError, ["float32", "float64"]),
    (np.ones((2, 3), dtype=np.int64), DTypeError, ["int64"]),
], ids=["row-vector", "transposed", "float32", "int64"])
def test_a_grad_that_does_not_fit_is_refused_and_nothing_changes(cls, grad, error, words):
    p, q = weight(), weight()
    opt = cls([{"params": [q]}, {"params": [p]}], **{"lr": 0.1, **STATEFUL[cls]})
    set_grad(q, np.ones((2, 3)))
    p.grad = minidl.tensor(grad)
    with pytest.raises(error) as info:
        opt.step()
    for word in [f"{cls.__name__}.step", "parameter 0 of parameter group 1", *words]:
        assert word in str(info.value), f"{word!r} not in: {info.value}"
    np.testing.assert_array_equal(p._array, np.arange(6.0).reshape(2, 3))


def test_a_grad_that_is_not_a_tensor_is_refused():
    opt = sgd()
    p = opt.param_groups[0]["params"][0]
    p.grad = np.ones((2, 3))
    with pytest.raises(DTypeError, match=r"SGD.step: parameter 0 .* ndarray"):
        opt.step()
    with pytest.raises(DTypeError, match="clip_grad_norm_: the .grad of parameter 0"):
        clip_grad_norm_(p, 1.0)


def test_a_grad_on_another_device_is_refused(fake):  # noqa: F811 (the fixture)
    p = weight()
    opt = Adam([p])
    p.grad = minidl.ones(2, 3, dtype=minidl.float64, device=fake)
    with pytest.raises(DeviceError, match=r"Adam.step: parameter 0 .* on fake:0"):
        opt.step()
    np.testing.assert_array_equal(p._array, np.arange(6.0).reshape(2, 3))
    assert not opt.state[p]


# ------------------------------------------------------------------------ refused snapshots
def _snapshot(opt):
    """Everything load_state_dict may change, as plain values."""
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    state = {id(p): {k: np.array(v) for k, v in s.items()} for p, s in opt.state.items()}
    return groups, state


def _assert_same(before, after):
    assert before[0] == after[0]
    assert before[1].keys() == after[1].keys()
    for key, entries in before[1].items():
        assert entries.keys() == after[1][key].keys()
        for name, value in entries.items():
            np.testing.assert_array_equal(value, after[1][key][name])


@pytest.mark.parametrize("source", OPTIMIZERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("target", OPTIMIZERS, ids=lambda c: c.__name__)
def test_a_snapshot_of_another_optimizer_type_is_refused(source, target):
    saved = stepped(source).state_dict()
    opt = stepped(target, p=weight())
    before = _snapshot(opt)
    compatible = {source, target} <= {Adam, AdamW}  # the same hyperparameters and state
    if source is target or compatible:
        opt.load_state_dict(saved)
        return
    with pytest.raises(ConfigError, match=f"{target.__name__}.load_state_dict"):
        opt.load_state_dict(saved)
    _assert_same(before, _snapshot(opt))


def _corrupt(cls, change):
    """A snapshot of a stepped ``cls`` optimizer, changed by ``change(state_dict)``."""
    saved = stepped(cls).state_dict()
    change(saved)
    return saved


@pytest.mark.parametrize("cls, change, words", [
    (Adam, lambda s: s["state"][0].pop("exp_avg_sq"), ["state of parameter 0", "'exp_avg_sq'"]),
    (Adam, lambda s: s["state"][0].update(step="7"), ["'step'", "'7'"]),
    (Adam, lambda s: s["state"][0].update(step=-1), ["'step'", "-1"]),
    (Adam, lambda s: s["state"][0].update(exp_avg=np.array([["a"] * 3] * 2)),
     ["'exp_avg'", "numeric array", "<U1"]),
    (Adam, lambda s: s["state"][0].update(exp_avg=np.ones(6)), ["'exp_avg'", "(6,)", "(2, 3)"]),
    (Adam, lambda s: s["state"][0].update(exp_avg=[1.0] * 6), ["'exp_avg'", "list"]),
    (SGD, lambda s: s["state"].update({0: [1, 2]}), ["state of parameter 0", "list"]),
    (SGD, lambda s: s["param_groups"][0].update(params=[0, 0]), ["group 0", "1 parameter"]),
    (SGD, lambda s: s["param_groups"][0].update(params=["x"]), ["'x'", "parameter index"]),
    (RMSprop, lambda s: s["param_groups"][0].update(centered=True), ["'grad_avg'"]),
    (EWAMomentum, lambda s: s.update(state=[1]), ["'state' must be a dict", "list"]),
], ids=["missing-entry", "string-step", "negative-step", "string-array", "wrong-shape",
        "list-entry", "state-not-dict", "params-count", "params-name", "centered-no-grad-avg",
        "state-list"])
def test_a_corrupt_snapshot_is_refused_and_nothing_changes(cls, change, words):
    saved = _corrupt(cls, change)
    opt = stepped(cls)
    before = _snapshot(opt)
    with pytest.raises((ConfigError, ShapeError)) as info:
        opt.load_state_dict(saved)
    for word in [f"{cls.__name__}.load_state_dict", *words]:
        assert word in str(info.value), f"{word!r} not in: {info.value}"
    _assert_same(before, _snapshot(opt))


def test_a_snapshot_from_json_still_loads():
    """String keys and lists for tuples (what a JSON round trip makes) are not corruption."""
    saved = stepped(Adam).state_dict()
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    saved["param_groups"][0]["betas"] = list(saved["param_groups"][0]["betas"])
    opt = Adam([weight()])
    opt.load_state_dict(saved)
    assert next(iter(opt.state.values()))["step"] == 1


# ------------------------------------------------------------------------------- schedulers
def test_a_refused_learning_rate_leaves_the_schedule_where_it_was():
    opt = sgd()
    scheduler = LambdaLR(opt, lambda epoch: 1.0 - 0.5 * epoch)  # negative from epoch 3 on
    scheduler.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.0
    for _ in range(2):  # refused each time: the epoch does not advance past the bad one
        with pytest.raises(ConfigError, match="LambdaLR: epoch 3 gives parameter group 0"):
            scheduler.step()
        assert scheduler.last_epoch == 2 and opt.param_groups[0]["lr"] == 0.0


def test_plateau_accepts_numbers_and_one_element_tensors():
    opt = sgd()
    scheduler = ReduceLROnPlateau(opt, patience=0)
    for metric in (1.0, np.float32(2.0), minidl.tensor(3.0), minidl.tensor([4.0]), np.array(5),
                   math.nan):
        scheduler.step(metric)
    assert scheduler.best == 1.0 and opt.param_groups[0]["lr"] < 0.1


def test_clipping_an_infinite_norm_poisons_the_grads_without_a_warning():
    """As PyTorch: the coefficient is 0 and inf * 0 is NaN; NumPy is kept quiet about it."""
    p = make_param(np.zeros(3))
    set_grad(p, [math.inf, 1.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = clip_grad_norm_(p, 1.0)
    assert math.isinf(total.item())
    assert np.isnan(p.grad._array[0]) and np.all(p.grad._array[1:] == 0)


def test_a_refused_scheduler_snapshot_changes_nothing():
    opt = sgd()
    scheduler = SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=2), StepLR(opt, 2)], [2])
    saved = scheduler.state_dict()
    saved["_schedulers"][1] = {"not": "a StepLR state"}
    before = scheduler.state_dict()
    with pytest.raises(ConfigError, match="StepLR.load_state_dict"):
        scheduler.load_state_dict(saved)
    assert scheduler.state_dict() == before
