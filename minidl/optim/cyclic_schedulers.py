"""Schedules that go up as well as down: CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts.

The first two are stepped after every *batch* (``last_epoch`` counts batches) and, with
``cycle_momentum=True``, move the momentum opposite to the rate: high momentum while the rate
is low, low momentum at the peak rate, where large steps would otherwise compound. "Momentum"
is ``group["momentum"]`` for SGD and RMSprop, and ``β1 = group["betas"][0]`` for the Adam family.
All three compute each value in closed form, as PyTorch does for them too, so the sequences are
PyTorch's exactly.

Read next: ``minidl/data/dataset.py``, where the data pipeline begins.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from minidl.config_checks import (
    ConfigTypeError,
    check_bool,
    check_choice,
    check_number,
    check_positive_int,
)
from minidl.errors import ConfigError
from minidl.optim.lr_scheduler import LRScheduler
from minidl.optim.optimizer import Optimizer
from minidl.optim.plateau import check_optimizer

FloatOrList = Union[float, Sequence[float]]


def per_group(owner: str, name: str, value: Any, optimizer: Optimizer,
              high: Optional[float] = None) -> List[float]:
    """One number >= 0 (and <= ``high``) per parameter group: ``value`` repeated, or a list of
    one per group."""
    n_groups = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_groups
    if len(values) != n_groups:
        raise ConfigError(f"{owner}: invalid {name} value: {value!r} (expected one number or "
                          f"{n_groups}, one per parameter group)")
    return [float(check_number(owner, name, v, 0, high)) for v in values]


class _CyclesMomentum(LRScheduler):
    """Shared by CyclicLR and OneCycleLR: after each step, set the momentum of every group to
    ``self.get_momentum()`` (when ``cycle_momentum``)."""

    def _momentum_key(self, owner: str, cycle_momentum: bool) -> Optional[str]:
        check_bool(owner, "cycle_momentum", cycle_momentum)
        if not cycle_momentum:
            return None
        for key in ("betas", "momentum"):  # Adam's β1 first, as PyTorch checks
            if key in self.optimizer.defaults:
                return key
        raise ConfigError(f"{owner}: cycle_momentum=True needs an optimizer with momentum or "
                          f"betas (SGD, RMSprop, Adam, ...); {type(self.optimizer).__name__} has "
                          "neither: pass cycle_momentum=False")

    def _set_momentum(self, momentums: Sequence[float]) -> None:
        for group, momentum in zip(self.optimizer.param_groups, momentums):
            if self.momentum_key == "betas":
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum

    def get_momentum(self) -> List[float]:
        raise NotImplementedError

    def step(self) -> None:
        super().step()
        if self.momentum_key is not None:
            self._set_momentum(self.get_momentum())


class CyclicLR(_CyclesMomentum):
    r"""Cycle the rate between ``base_lr`` and ``max_lr`` (Smith, 2017; ``torch.optim.lr_scheduler
    .CyclicLR``, same sequence). Step it after every batch.

    With ``n = last_epoch``, ``S = step_size_up + step_size_down`` and ``r = step_size_up / S``::

        cycle = floor(1 + n / S) ;  x = 1 + n / S - cycle        (position in the cycle, [0, 1))
        h = x / r  if x <= r  else (x - 1) / (r - 1)            (a triangle: 0 → 1 → 0)
        lr = base_lr + (max_lr - base_lr) h scale
        momentum = max_momentum - (max_momentum - base_momentum) h scale

    ``scale`` is 1 (``"triangular"``), ``1 / 2^(cycle - 1)`` (``"triangular2"``: halve the height
    every cycle), ``gamma^n`` (``"exp_range"``), or ``scale_fn(cycle)`` / ``scale_fn(n)`` (by
    ``scale_mode``). A ``scale_fn`` is not saved by ``state_dict()``: pass it again.
    """

    _not_saved = ("optimizer", "scale_fn_custom")

    def __init__(self, optimizer: Optimizer, base_lr: FloatOrList, max_lr: FloatOrList,
                 step_size_up: int = 2000, step_size_down: Optional[int] = None,
                 mode: str = "triangular", gamma: float = 1.0,
                 scale_fn: Optional[Callable[[float], float]] = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: FloatOrList = 0.8,
                 max_momentum: FloatOrList = 0.9, last_epoch: int = -1):
        name = "CyclicLR"
        check_optimizer(name, optimizer)
        base_lrs = per_group(name, "base_lr", base_lr, optimizer)
        self.max_lrs = per_group(name, "max_lr", max_lr, optimizer)
        check_number(name, "step_size_up", step_size_up, 0, low_open=True)
        if step_size_down is None:
            step_size_down = step_size_up
        check_number(name, "step_size_down", step_size_down, 0, low_open=True)
        if scale_fn is None:
            check_choice(name, "mode", mode, ("triangular", "triangular2", "exp_range"))
        elif not callable(scale_fn):
            raise ConfigTypeError(f"{name}: invalid scale_fn value: {scale_fn!r} (expected a "
                                  "function of the cycle or the iteration)")
        check_choice(name, "scale_mode", scale_mode, ("cycle", "iterations"))
        check_number(name, "gamma", gamma, 0, low_open=True)
        self.optimizer = optimizer
        self.total_size = float(step_size_up) + float(step_size_down)
        self.step_ratio = float(step_size_up) / self.total_size
        self.mode = mode
        self.gamma = gamma
        self.scale_fn_custom = scale_fn
        # The built-in modes fix the scale mode (as PyTorch does, whatever was passed).
        self.scale_mode = scale_mode if scale_fn is not None else \
            ("iterations" if mode == "exp_range" else "cycle")
        self.momentum_key = self._momentum_key(name, cycle_momentum)
        if self.momentum_key is not None:
            self.base_momentums = per_group(name, "base_momentum", base_momentum, optimizer, 1)
            self.max_momentums = per_group(name, "max_momentum", max_momentum, optimizer, 1)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = group["initial_lr"] = lr
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The height of the cycle at ``x`` (the cycle number or the iteration)."""
        if self.scale_fn_custom is not None:
            return self.scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def _height(self) -> float:
        """h · scale at the current iteration (see the class docstring)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            h = x / self.step_ratio
        else:
            h = (x - 1) / (self.step_ratio - 1)
        return h * self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)

    def get_lr(self) -> List[float]:
        height = self._height()
        return [base + (peak - base) * height for base, peak in zip(self.base_lrs, self.max_lrs)]

    def get_momentum(self) -> List[float]:
        height = self._height()
        return [peak - (peak - base) * height
                for base, peak in zip(self.base_momentums, self.max_momentums)]


class OneCycleLR(_CyclesMomentum):
    r"""The 1cycle policy (Smith & Topin, 2018; ``torch.optim.lr_scheduler.OneCycleLR``, same
    sequence): one warm-up to ``max_lr`` and one long anneal far below the start. Step it after
    every batch, ``total_steps`` (or ``epochs * steps_per_epoch``) times.

    The rate starts at ``initial_lr = max_lr / div_factor`` and ends at ``min_lr = initial_lr /
    final_div_factor``. Phases (``p = pct_start``, ``T = total_steps``)::

        two phases:   initial_lr → max_lr over steps [0, pT - 1];  max_lr → min_lr until T - 1
        three_phase:  initial_lr → max_lr, back → initial_lr (until 2pT - 2), → min_lr (T - 1)

    Within a phase, with ``f`` the fraction of it done, ``anneal(a, b, f)`` is
    ``b + (a - b)(1 + cos(π f)) / 2`` (``"cos"``) or ``a + (b - a) f`` (``"linear"``). The
    momentum anneals the opposite way between ``max_momentum`` and ``base_momentum``.
    ``initial_lr``, ``max_lr``, ``min_lr`` and the momentum bounds are kept in each parameter
    group, as PyTorch does; the group's own ``lr`` at construction is ignored. PyTorch allows
    one step past the end (step ``T``, which extrapolates the last phase); so does minidl, except
    that a negative rate (a linear anneal overshooting 0) is refused rather than applied.
    """

    def __init__(self, optimizer: Optimizer, max_lr: FloatOrList,
                 total_steps: Optional[int] = None, epochs: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: FloatOrList = 0.85, max_momentum: FloatOrList = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        name = "OneCycleLR"
        check_optimizer(name, optimizer)
        if total_steps is not None:
            self.total_steps = check_positive_int(name, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            check_positive_int(name, "epochs", epochs)
            check_positive_int(name, "steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ConfigError(f"{name}: you must define either total_steps or (epochs and "
                              "steps_per_epoch)")
        check_number(name, "pct_start", pct_start, 0, 1)
        check_choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        check_number(name, "div_factor", div_factor, 0, low_open=True)
        check_number(name, "final_div_factor", final_div_factor, 0, low_open=True)
        check_bool(name, "three_phase", three_phase)
        max_lrs = per_group(name, "max_lr", max_lr, optimizer)
        self.optimizer = optimizer
        self.anneal_strategy = anneal_strategy
        up_end = float(pct_start * self.total_steps) - 1
        # [end step, start key, end key, start momentum key, end momentum key] per phase.
        if three_phase:
            self._schedule_phases = [
                [up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"],
                [self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self._schedule_phases = [
                [up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        self.momentum_key = self._momentum_key(name, cycle_momentum)
        needed = ["initial_lr", "max_lr", "min_lr"]
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if self.momentum_key is not None:
            needed += ["max_momentum", "base_momentum"]
            maxima = per_group(name, "max_momentum", max_momentum, optimizer, 1)
            bases = per_group(name, "base_momentum", base_momentum, optimizer, 1)
            if last_epoch == -1:
                for group, top, base in zip(optimizer.param_groups, maxima, bases):
                    group["max_momentum"], group["base_momentum"] = top, base
        for i, group in enumerate(optimizer.param_groups):
            missing = [key for key in needed if key not in group]
            if missing:
                raise ConfigError(f"{name}: param_groups[{i}] has no {missing}, needed to "
                                  f"resume at last_epoch={last_epoch}; load the optimizer's "
                                  "state_dict first")
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _phase_value(self, group: Dict[str, Any], momentum: bool) -> float:
        """The rate (or the momentum) of ``group`` at step ``last_epoch``."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ConfigError(f"OneCycleLR: tried to step {step} times; the specified number "
                              f"of total steps is {self.total_steps}")
        start_step = 0.0
        phase = self._schedule_phases[-1]  # the last phase also takes the step past the end
        for candidate in self._schedule_phases[:-1]:
            if step <= candidate[0]:
                phase = candidate
                break
            start_step = candidate[0]
        end_step, start, end, start_momentum, end_momentum = phase
        if end_step == start_step:  # a phase of zero length (tiny total_steps) is already over
            fraction = 1.0  # (PyTorch divides by zero here)
        else:
            fraction = (step - start_step) / (end_step - start_step)
        if momentum:
            return self._anneal(group[start_momentum], group[end_momentum], fraction)
        return self._anneal(group[start], group[end], fraction)

    def get_lr(self) -> List[float]:
        return [self._phase_value(group, False) for group in self.optimizer.param_groups]

    def get_momentum(self) -> List[float]:
        return [self._phase_value(group, True) for group in self.optimizer.param_groups]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR: cosine annealing that restarts (Loshchilov & Hutter, 2017;
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``, same sequence)::

        lr = eta_min + (base_lr - eta_min) (1 + cos(π T_cur / T_i)) / 2

    ``T_cur`` counts epochs since the last restart; at ``T_cur = T_i`` the rate jumps back to
    ``base_lr`` and the next period is ``T_i · T_mult`` long (``T_0`` first). ``step(epoch)``
    accepts a fractional epoch, so the rate can follow the cosine within an epoch:
    ``scheduler.step(epoch + i / iters_per_epoch)`` after batch ``i``.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0,
                 last_epoch: int = -1):
        name = "CosineAnnealingWarmRestarts"
        check_positive_int(name, "T_0", T_0)
        check_positive_int(name, "T_mult", T_mult)
        check_number(name, "eta_min", eta_min, 0)
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]

    def step(self, epoch: Optional[float] = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (a number >= 0, possibly fractional)."""
        saved = (self.T_cur, self.T_i, self.last_epoch)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # restart
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            check_number("CosineAnnealingWarmRestarts.step", "epoch", epoch, 0)
            self._jump_to(epoch)
        self.last_epoch = math.floor(epoch)
        try:
            lrs = self.get_lr()
            self._check_lrs(lrs)
        except Exception:
            self.T_cur, self.T_i, self.last_epoch = saved
            raise
        self._set_lrs(lrs)

    def _jump_to(self, epoch: float) -> None:
        """Set ``T_cur`` and ``T_i`` for ``epoch``: find the period it falls in."""
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            # Periods T_0, T_0 m, T_0 m², ... end at T_0 (m^n - 1) / (m - 1): solve for n.
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** n
