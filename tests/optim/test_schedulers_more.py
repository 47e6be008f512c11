"""OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts, ConstantLR, PolynomialLR and
ChainedScheduler: PyTorch's learning-rate (and momentum) sequences, checkpoints, refusals.

Each builder takes the scheduler module (PyTorch's or ours) and the optimizer, so both libraries
get the same arguments; the sequences must agree to 1e-12 over 50 steps.
"""
import json
import math

import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError
from minidl.optim import SGD, Adagrad, Adam, lr_scheduler
from minidl.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    StepLR,
)

STEPS = 50
BASE_LRS = (0.1, 0.02)
OPTIMIZERS = {  # name -> constructor arguments, the same in both libraries
    "SGD": dict(momentum=0.9),
    "Adam": dict(betas=(0.9, 0.999)),
    "Adagrad": dict(),
}

CASES = {  # name -> (optimizer, builder(m, opt))
    "OneCycleLR-cos": ("SGD", lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS)),
    "OneCycleLR-linear-adam": ("Adam", lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=11, pct_start=0.25,
        anneal_strategy="linear", base_momentum=0.8, max_momentum=0.92)),
    "OneCycleLR-three-phase": ("SGD", lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, three_phase=True, div_factor=10.0,
        final_div_factor=100.0)),
    "OneCycleLR-no-momentum": ("Adagrad", lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS + 1, cycle_momentum=False)),
    "CyclicLR-triangular": ("SGD", lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6)),
    "CyclicLR-triangular2-adam": ("Adam", lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=5, mode="triangular2",
        base_momentum=0.85, max_momentum=0.95)),
    "CyclicLR-exp_range": ("SGD", lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.97)),
    "CyclicLR-scale_fn": ("Adagrad", lambda m, o: m.CyclicLR(
        o, base_lr=0.0, max_lr=0.1, step_size_up=7, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False)),
    "CosineAnnealingWarmRestarts": ("SGD", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7)),
    "CosineAnnealingWarmRestarts-mult": ("SGD", lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001)),
    "ConstantLR": ("SGD", lambda m, o: m.ConstantLR(o)),
    "ConstantLR-10": ("SGD", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=10)),
    "PolynomialLR": ("SGD", lambda m, o: m.PolynomialLR(o)),
    "PolynomialLR-power": ("SGD", lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.5)),
    "ChainedScheduler": ("SGD", lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)])),
    "ChainedScheduler-three": ("SGD", lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=4), m.PolynomialLR(o, 40, power=2.0),
         m.StepLR(o, step_size=7, gamma=0.5)], optimizer=o)),
}


def make_optimizer(lib, name):
    params = [lib.tensor(np.ones(2), requires_grad=True) for _ in BASE_LRS]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)]
    return getattr(lib.optim, name)(groups, **OPTIMIZERS[name])


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum", 0.0)


def history(opt, scheduler, steps, step_optimizer=lambda: None):
    """Each group's (lr, momentum) after construction and after each of ``steps`` steps."""
    rows = [[(g["lr"], momentum_of(g)) for g in opt.param_groups]]
    for _ in range(steps):
        step_optimizer()
        scheduler.step()
        rows.append([(g["lr"], momentum_of(g)) for g in opt.param_groups])
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    optimizer, build = CASES[name]
    torch_opt = make_optimizer(torch, optimizer)
    # PyTorch warns if a scheduler steps before its optimizer: step it (it has no gradients).
    expected = history(torch_opt, build(torch.optim.lr_scheduler, torch_opt), STEPS,
                       torch_opt.step)
    opt = make_optimizer(minidl, optimizer)
    scheduler = build(lr_scheduler, opt)
    got = history(opt, scheduler, STEPS)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert np.ptp(got[:, :, 0]) > 0  # the schedule did change the rate
    assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]


def test_warm_restarts_follow_fractional_epochs_as_pytorch():
    torch = pytest.importorskip("torch")
    epochs = [0.25, 0.5, 1.75, 3.0, 4.5, 7.0, 9.25, 21.0, 22.5, 2.0]
    sequences = []
    for lib, module in ((torch, torch.optim.lr_scheduler), (minidl, lr_scheduler)):
        opt = make_optimizer(lib, "SGD")
        scheduler = module.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        rows = []
        for epoch in epochs:
            if lib is torch:
                opt.step()
            scheduler.step(epoch)
            rows.append([g["lr"] for g in opt.param_groups] + [scheduler.last_epoch])
        sequences.append(rows)
    np.testing.assert_allclose(sequences[1], sequences[0], rtol=1e-12, atol=1e-15)


def test_one_cycle_peaks_at_max_lr_with_base_momentum_and_refuses_extra_steps():
    opt = make_optimizer(minidl, "SGD")
    scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.5)
    rows = history(opt, scheduler, 20)
    peak = int(np.argmax(rows[:, 0, 0]))
    assert peak == 9 and rows[peak, 0, 0] == pytest.approx(1.0)
    assert rows[peak, 0, 1] == pytest.approx(0.85) and rows[0, 0, 1] == pytest.approx(0.95)
    assert rows[0, 0, 0] == pytest.approx(1.0 / 25) and rows[19, 0, 0] == pytest.approx(4e-6)
    with pytest.raises(ConfigError, match="OneCycleLR: tried to step 21 times"):
        scheduler.step()
    assert scheduler.last_epoch == 20  # the refused step left the schedule where it was


def test_one_cycle_with_a_zero_length_phase_does_not_divide_by_zero():
    opt = make_optimizer(minidl, "SGD")  # three phases over 2 steps: the second has length 0
    scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=2, pct_start=0.5, three_phase=True)
    assert scheduler.get_last_lr() == [1.0, 1.0]  # step 0 ends the zero-length warm-up
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([4e-6, 4e-6])  # min_lr = 1 / 25 / 1e4


def test_chained_factors_multiply():
    opt = make_optimizer(minidl, "SGD")
    chained = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2),
                                ExponentialLR(opt, gamma=0.9)])
    rows = history(opt, chained, 5)[:, :, 0]
    factors = [0.1 * 0.9 ** t if t < 2 else 0.9 ** t for t in range(6)]
    np.testing.assert_allclose(rows, np.outer(factors, BASE_LRS), rtol=1e-14)


# ------------------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip_through_json_continues_identically(name):
    optimizer, build = CASES[name]
    opt = make_optimizer(minidl, optimizer)
    scheduler = build(lr_scheduler, opt)
    history(opt, scheduler, 20)
    saved_opt = opt.state_dict()
    saved = json.loads(json.dumps(scheduler.state_dict()))
    expected = history(opt, scheduler, STEPS - 20)

    fresh_opt = make_optimizer(minidl, optimizer)
    fresh = build(lr_scheduler, fresh_opt)  # construction steps it to epoch 0 ...
    fresh_opt.load_state_dict(saved_opt)  # ... then the checkpoint restores both, as in PyTorch
    fresh.load_state_dict(saved)
    got = history(fresh_opt, fresh, STEPS - 20)
    np.testing.assert_array_equal(got, expected)


def test_load_state_dict_refuses_another_schedulers_snapshot():
    opt = make_optimizer(minidl, "SGD")
    cyclic = CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    with pytest.raises(ConfigError, match="CyclicLR.load_state_dict"):
        cyclic.load_state_dict(PolynomialLR(make_optimizer(minidl, "SGD")).state_dict())
    a, b = ConstantLR(opt), StepLR(opt, 3)
    chained = ChainedScheduler([a, b])
    snapshot = chained.state_dict()
    snapshot["_schedulers"] = snapshot["_schedulers"][:1]
    with pytest.raises(ConfigError, match="ChainedScheduler.load_state_dict: '_schedulers'"):
        chained.load_state_dict(snapshot)


# -------------------------------------------------------------------------------- refusals
def _sgd():
    return make_optimizer(minidl, "SGD")


INVALID = [
    (lambda: OneCycleLR(_sgd(), max_lr=0.1), ConfigError, "total_steps or"),
    (lambda: OneCycleLR(_sgd(), max_lr=0.1, total_steps=0), ConfigError, "total_steps"),
    (lambda: OneCycleLR(_sgd(), max_lr=0.1, epochs=2, steps_per_epoch=1.5), ConfigTypeError,
     "steps_per_epoch"),
    (lambda: OneCycleLR(_sgd(), max_lr=0.1, total_steps=9, pct_start=1.5), ConfigError,
     "pct_start"),
    (lambda: OneCycleLR(_sgd(), max_lr=0.1, total_steps=9, anneal_strategy="exp"), ConfigError,
     "anneal_strategy"),
    (lambda: OneCycleLR(_sgd(), max_lr=[0.1], total_steps=9), ConfigError, "max_lr"),
    (lambda: OneCycleLR(_sgd(), max_lr=0.1, total_steps=9, div_factor=0), ConfigError,
     "div_factor"),
    (lambda: OneCycleLR(Adagrad([minidl.tensor(np.ones(2), requires_grad=True)]), max_lr=0.1,
                        total_steps=9), ConfigError, "cycle_momentum=True needs"),
    (lambda: CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, mode="sawtooth"), ConfigError, "mode"),
    (lambda: CyclicLR(_sgd(), base_lr=-0.01, max_lr=0.1), ConfigError, "base_lr"),
    (lambda: CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, step_size_up=0), ConfigError,
     "step_size_up"),
    (lambda: CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, scale_mode="epoch"), ConfigError,
     "scale_mode"),
    (lambda: CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, max_momentum=1.5), ConfigError,
     "max_momentum"),
    (lambda: CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, scale_fn="half"), ConfigTypeError,
     "scale_fn"),
    (lambda: CosineAnnealingWarmRestarts(_sgd(), T_0=0), ConfigError, "T_0"),
    (lambda: CosineAnnealingWarmRestarts(_sgd(), T_0=5, T_mult=1.5), ConfigTypeError, "T_mult"),
    (lambda: CosineAnnealingWarmRestarts(_sgd(), T_0=5, eta_min=-1), ConfigError, "eta_min"),
    (lambda: CosineAnnealingWarmRestarts(_sgd(), T_0=5).step(-1), ConfigError, "epoch"),
    (lambda: ConstantLR(_sgd(), factor=1.5), ConfigError, "factor"),
    (lambda: ConstantLR(_sgd(), total_iters=-1), ConfigError, "total_iters"),
    (lambda: PolynomialLR(_sgd(), total_iters=0), ConfigError, "total_iters"),
    (lambda: PolynomialLR(_sgd(), power=math.nan), ConfigError, "power"),
    (lambda: ChainedScheduler([]), ConfigError, "non-empty"),
]


@pytest.mark.parametrize("build, error, name", INVALID, ids=[n for _, _, n in INVALID])
def test_invalid_arguments_raise_config_error_naming_them(build, error, name):
    with pytest.raises(error, match=name):
        build()


def test_chained_scheduler_refuses_plateau_and_another_optimizer():
    opt, other = _sgd(), _sgd()
    with pytest.raises(ConfigTypeError, match="ReduceLROnPlateau needs a metric"):
        ChainedScheduler([ConstantLR(opt), ReduceLROnPlateau(opt)])
    with pytest.raises(ConfigError, match=r"schedulers\[1\] belongs to another optimizer"):
        ChainedScheduler([ConstantLR(opt), ConstantLR(other)])


def test_cycle_momentum_sets_sgd_momentum_and_adam_beta1():
    sgd = _sgd()
    CyclicLR(sgd, base_lr=0.01, max_lr=0.1, step_size_up=2).step()
    assert [g["momentum"] for g in sgd.param_groups] == pytest.approx([0.85, 0.85])
    adam = Adam([minidl.tensor(np.ones(2), requires_grad=True)], betas=(0.5, 0.99))
    OneCycleLR(adam, max_lr=0.1, total_steps=10)
    assert adam.param_groups[0]["betas"] == (0.95, 0.99)
    assert SGD is type(sgd)
