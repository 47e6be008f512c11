"""Learning-rate schedules against PyTorch's recursive formulas, over 100 epochs.

minidl computes each rate in closed form; the references below are written in the *recursive*
(chainable) form that PyTorch documents, ``lr_t = f(lr_{t-1}, t)``, so agreement checks that the
two forms really coincide. ReduceLROnPlateau is checked on scripted metric sequences worked out
by hand.
"""
import json
import math

import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError
from minidl.optim import SGD, Adam
from minidl.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

EPOCHS = 100
BASE_LRS = (0.1, 0.02)


def make_optimizer(cls=SGD):
    params = [minidl.tensor(np.ones(2), requires_grad=True) for _ in BASE_LRS]
    return cls([{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)])


def lrs_over(scheduler, epochs=EPOCHS):
    """Each group's lr at epoch 0 (after construction) and after each of ``epochs`` steps."""
    history = [[g["lr"] for g in scheduler.optimizer.param_groups]]
    for _ in range(epochs):
        scheduler.step()
        history.append([g["lr"] for g in scheduler.optimizer.param_groups])
    return np.array(history)


def recursive(base, epochs, update):
    """``[lr_0, ..., lr_epochs]`` where ``lr_0 = update(base, None, 0)`` and
    ``lr_t = update(base, lr_{t-1}, t)``."""
    lrs = [update(base, None, 0)]
    for t in range(1, epochs + 1):
        lrs.append(update(base, lrs[-1], t))
    return lrs


def reference(update, epochs=EPOCHS):
    return np.array([recursive(base, epochs, update) for base in BASE_LRS]).T


# ------------------------------------------------------------- PyTorch's recursive formulas
def step_lr(step_size, gamma):
    def update(base, lr, t):
        if t == 0:
            return base
        return lr * gamma if t % step_size == 0 else lr
    return update


def multistep_lr(milestones, gamma):
    def update(base, lr, t):
        return base if t == 0 else lr * gamma ** milestones.count(t)
    return update


def exponential_lr(gamma):
    return lambda base, lr, t: base if t == 0 else lr * gamma


def cosine_lr(t_max, eta_min):
    def update(base, lr, t):
        if t == 0:
            return base
        if (t - 1 - t_max) % (2 * t_max) == 0:
            return lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
        return ratio * (lr - eta_min) + eta_min
    return update


def linear_lr(start, end, total):
    def update(base, lr, t):
        if t == 0:
            return base * start
        if t > total:
            return lr
        return lr * (1 + (end - start) / (total * start + (t - 1) * (end - start)))
    return update


CASES = {
    "StepLR": (lambda opt: StepLR(opt, step_size=7, gamma=0.5), step_lr(7, 0.5)),
    "MultiStepLR": (lambda opt: MultiStepLR(opt, milestones=[30, 10, 80, 80], gamma=0.3),
                    multistep_lr([10, 30, 80, 80], 0.3)),
    "ExponentialLR": (lambda opt: ExponentialLR(opt, gamma=0.95), exponential_lr(0.95)),
    "CosineAnnealingLR": (lambda opt: CosineAnnealingLR(opt, T_max=30, eta_min=0.001),
                          cosine_lr(30, 0.001)),
    "CosineAnnealingLR-eta0": (lambda opt: CosineAnnealingLR(opt, T_max=100), cosine_lr(100, 0)),
    "LinearLR": (lambda opt: LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=20),
                 linear_lr(0.25, 0.9, 20)),
    "LinearLR-defaults": (lambda opt: LinearLR(opt), linear_lr(1 / 3, 1.0, 5)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_closed_form_matches_recursive_form(name):
    build, update = CASES[name]
    opt = make_optimizer()
    scheduler = build(opt)
    np.testing.assert_allclose(lrs_over(scheduler), reference(update), rtol=1e-9, atol=1e-12)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]


def test_lambda_lr_one_function_per_group():
    opt = make_optimizer()
    functions = [lambda e: 0.9 ** e, lambda e: 1.0 / (1 + e % 4)]
    history = lrs_over(LambdaLR(opt, functions))
    expected = [[BASE_LRS[0] * 0.9 ** e, BASE_LRS[1] / (1 + e % 4)] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(history, expected, rtol=1e-12)


def test_lambda_lr_one_function_for_all_groups():
    history = lrs_over(LambdaLR(make_optimizer(), lambda e: 1 / (e + 1)), epochs=10)
    np.testing.assert_allclose(history[:, 1] / history[:, 0], BASE_LRS[1] / BASE_LRS[0])
    np.testing.assert_allclose(history[:, 0], [BASE_LRS[0] / (e + 1) for e in range(11)])


def test_sequential_lr_hands_over_at_milestones():
    opt = make_optimizer()
    warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(opt, T_max=50, eta_min=0.001)
    decay = ExponentialLR(opt, gamma=0.9)
    history = lrs_over(SequentialLR(opt, [warmup, cosine, decay], milestones=[5, 60]))
    parts = [reference(linear_lr(0.1, 1.0, 5)), reference(cosine_lr(50, 0.001)),
             reference(exponential_lr(0.9))]
    expected = [parts[0][e] if e < 5 else parts[1][e - 5] if e < 60 else parts[2][e - 60]
                for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(history, expected, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_on_plateau_min_abs_with_cooldown_and_min_lr():
    opt = make_optimizer()
    for group in opt.param_groups:
        group["lr"] = 1.0
    scheduler = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.1,
                                  threshold_mode="abs", cooldown=1, min_lr=[0.2, 0.3])
    metrics = [10, 9.95, 9.95, 9.9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
    # Worked by hand: 9.95 and 9.9 are not 0.1 below the best (10), so epochs 2-4 are bad and
    # the 3rd bad epoch (> patience) halves lr; the next epoch is cooldown; and so on down to
    # min_lr, where a reduction smaller than eps is skipped.
    expected_first = [1, 1, 1, .5, .5, .5, .5, .25, .25, .25, .25, .2, .2, .2, .2, .2]
    expected_second = [1, 1, 1, .5, .5, .5, .5, .3, .3, .3, .3, .3, .3, .3, .3, .3]
    seen = []
    for metric in metrics:
        scheduler.step(metric)
        seen.append(scheduler.get_last_lr())
    np.testing.assert_allclose(seen, np.array([expected_first, expected_second]).T)


def test_reduce_on_plateau_max_rel():
    opt = make_optimizer()
    scheduler = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.01)
    seen = []
    for metric in [1.0, 1.005, 1.02, 1.02]:
        scheduler.step(minidl.tensor(metric))  # a 0-d tensor metric works too (float())
        seen.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose(seen, [0.1, 0.01, 0.01, 0.001])


# ------------------------------------------------------------------------------ state_dict
ROUND_TRIP = {name: build for name, (build, _) in CASES.items()}
ROUND_TRIP["LambdaLR"] = lambda opt: LambdaLR(opt, lambda e: 0.97 ** e)
ROUND_TRIP["SequentialLR"] = lambda opt: SequentialLR(
    opt, [LinearLR(opt, 0.2, total_iters=10), StepLR(opt, 15)], milestones=[10])


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip_through_json_continues_identically(name):
    opt = make_optimizer(Adam)
    scheduler = ROUND_TRIP[name](opt)
    lrs_over(scheduler, epochs=37)
    saved_opt = opt.state_dict()
    saved = json.loads(json.dumps(scheduler.state_dict()))
    fresh_opt = make_optimizer(Adam)
    fresh = ROUND_TRIP[name](fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert fresh.last_epoch == scheduler.last_epoch
    np.testing.assert_array_equal(lrs_over(fresh, epochs=40), lrs_over(scheduler, epochs=40))


def test_reduce_on_plateau_state_dict_round_trip():
    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    opt = make_optimizer()
    scheduler = ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in metrics[:9]:
        scheduler.step(metric)
    saved = json.loads(json.dumps(scheduler.state_dict()))
    fresh_opt = make_optimizer()
    fresh_opt.load_state_dict(opt.state_dict())
    fresh = ReduceLROnPlateau(fresh_opt, patience=1, cooldown=1)
    fresh.load_state_dict(saved)
    for metric in metrics[9:]:
        scheduler.step(metric)
        fresh.step(metric)
        assert fresh.get_last_lr() == scheduler.get_last_lr()


def test_lambda_lr_state_dict_leaves_out_the_functions():
    state = LambdaLR(make_optimizer(), lambda e: 1.0).state_dict()
    assert "lr_lambdas" not in state and "optimizer" not in state
    json.dumps(state)


def test_resuming_needs_initial_lr_and_continues_the_closed_form():
    with pytest.raises(ConfigError, match="StepLR: param_groups.0. has no 'initial_lr'"):
        StepLR(make_optimizer(), step_size=3, last_epoch=8)
    opt = make_optimizer()
    StepLR(opt, step_size=3)
    resumed = StepLR(opt, step_size=3, last_epoch=8)
    assert resumed.last_epoch == 9
    np.testing.assert_allclose(resumed.get_last_lr(), [lr * 0.1 ** 3 for lr in BASE_LRS])


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        LRScheduler(make_optimizer())


# ---------------------------------------------------------------------- invalid arguments
INVALID = [
    (lambda opt: StepLR(opt, step_size=0), "step_size"),
    (lambda opt: StepLR(opt, step_size=2.5), "step_size"),
    (lambda opt: StepLR(opt, step_size=3, gamma=-0.1), "gamma"),
    (lambda opt: MultiStepLR(opt, milestones=[2.5]), "milestones"),
    (lambda opt: MultiStepLR(opt, milestones=[2], gamma=0), "gamma"),
    (lambda opt: ExponentialLR(opt, gamma=-1.0), "gamma"),
    (lambda opt: CosineAnnealingLR(opt, T_max=0), "T_max"),
    (lambda opt: CosineAnnealingLR(opt, T_max=10, eta_min=-1e-3), "eta_min"),
    (lambda opt: LinearLR(opt, start_factor=0), "start_factor"),
    (lambda opt: LinearLR(opt, start_factor=1.5), "start_factor"),
    (lambda opt: LinearLR(opt, end_factor=1.5), "end_factor"),
    (lambda opt: LinearLR(opt, total_iters=0), "total_iters"),
    (lambda opt: LambdaLR(opt, [lambda e: 1.0]), "lr_lambda"),
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3)], milestones=[]),
     "milestones"),
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3), StepLR(opt, 4)],
                              milestones=[5, 5]), "milestones"),
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(make_optimizer(), 3)],
                              milestones=[5]), "another optimizer"),
    (lambda opt: ReduceLROnPlateau(opt, mode="lowest"), "mode"),
    (lambda opt: ReduceLROnPlateau(opt, threshold_mode="relative"), "threshold_mode"),
    (lambda opt: ReduceLROnPlateau(opt, factor=1.0), "factor"),
    (lambda opt: ReduceLROnPlateau(opt, patience=-1), "patience"),
    (lambda opt: ReduceLROnPlateau(opt, cooldown=-1), "cooldown"),
    (lambda opt: ReduceLROnPlateau(opt, threshold=-1), "threshold"),
    (lambda opt: ReduceLROnPlateau(opt, min_lr=[0.1]), "min_lr"),
    (lambda opt: ReduceLROnPlateau(opt, min_lr=-0.1), "min_lr"),
    (lambda opt: ReduceLROnPlateau(opt, eps=-1.0), "eps"),
]


@pytest.mark.parametrize("build, name", INVALID, ids=[name for _, name in INVALID])
def test_invalid_arguments_raise_config_error_naming_them(build, name):
    with pytest.raises(ConfigError, match=name):
        build(make_optimizer())


def test_schedulers_need_an_optimizer():
    with pytest.raises(ConfigTypeError, match="StepLR: object is not an Optimizer"):
        StepLR(object(), step_size=2)
    with pytest.raises(ConfigTypeError, match="ReduceLROnPlateau: object is not an Optimizer"):
        ReduceLROnPlateau(object())
    opt = make_optimizer()
    with pytest.raises(ConfigTypeError, match="epoch-based"):
        SequentialLR(opt, [StepLR(opt, 2), ReduceLROnPlateau(opt)], milestones=[3])



# -------------------------------------------------------------------- optional: PyTorch itself
# Each builder takes the scheduler module (PyTorch's or ours), so both get the same arguments.
TORCH_CASES = {
    "StepLR": lambda opt, m: m.StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda opt, m: m.MultiStepLR(opt, milestones=[30, 10, 80, 80], gamma=0.3),
    "ExponentialLR": lambda opt, m: m.ExponentialLR(opt, gamma=0.95),
    "CosineAnnealingLR": lambda opt, m: m.CosineAnnealingLR(opt, T_max=30, eta_min=0.001),
    "LinearLR": lambda opt, m: m.LinearLR(opt, start_factor=0.25, end_factor=0.9,
                                          total_iters=20),
    "LambdaLR": lambda opt, m: m.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: 1 / (1 + e % 4)]),
    "SequentialLR": lambda opt, m: m.SequentialLR(
        opt, [m.LinearLR(opt, 0.1, total_iters=5), m.CosineAnnealingLR(opt, 50, 0.001),
              m.ExponentialLR(opt, 0.9)], milestones=[5, 60]),
    "ReduceLROnPlateau": lambda opt, m: m.ReduceLROnPlateau(
        opt, factor=0.5, patience=2, threshold=0.1, threshold_mode="abs", cooldown=1,
        min_lr=0.001),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_pytorch_when_installed(name):
    torch = pytest.importorskip("torch")
    from minidl.optim import lr_scheduler

    torch_opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                                 for lr in BASE_LRS])
    theirs = TORCH_CASES[name](torch_opt, torch.optim.lr_scheduler)
    ours = TORCH_CASES[name](make_optimizer(), lr_scheduler)
    metrics = 10.0 - np.cumsum(np.random.default_rng(0).random(EPOCHS) < 0.3)
    their_lrs, our_lrs = [], []
    for epoch in range(EPOCHS):
        torch_opt.step()  # PyTorch warns if a scheduler steps before its optimizer
        args = (float(metrics[epoch]),) if name == "ReduceLROnPlateau" else ()
        theirs.step(*args)
        ours.step(*args)
        their_lrs.append([group["lr"] for group in torch_opt.param_groups])
        our_lrs.append(ours.get_last_lr())
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-9, atol=1e-12)
