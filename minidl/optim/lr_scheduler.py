"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

The loop is ``for epoch: train(...); scheduler.step()``. Each epoch-based scheduler here computes
the learning rate in *closed form*, as a function of the group's starting rate (``base_lrs``, kept
in the group as ``"initial_lr"``, as PyTorch does) and the epoch counter ``last_epoch``. PyTorch
computes most schedules *recursively* from the current ``group["lr"]`` (so that several schedulers
can be chained); for a single scheduler the two give the same sequence, and the closed form is the
one you can read off the formula. Consequence: an ``lr`` set by hand is overwritten at the next
``step()``. (``MultiplicativeLR``, a running product of factors, is the one recursive
schedule.) To combine schedules in time (warm-up, then decay) use ``SequentialLR``.

``ReduceLROnPlateau`` is different: it watches a metric, so it lives in ``plateau.py`` (read next).
``ConstantLR``, ``PolynomialLR`` and ``ChainedScheduler`` are in ``chained.py``; ``CyclicLR``,
``OneCycleLR`` and ``CosineAnnealingWarmRestarts`` in ``cyclic_schedulers.py``; all are importable
from here, as in PyTorch.

Read next: ``plateau.py`` (``ReduceLROnPlateau``, which watches a metric).
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Callable, Dict, List, Sequence, Union

from minidl.config_checks import ConfigTypeError, check_number, check_positive_int, is_int, is_real
from minidl.errors import ConfigError
from minidl.optim.optimizer import Optimizer
from minidl.optim.plateau import ReduceLROnPlateau, check_optimizer, load_attributes


class LRScheduler:
    """Base class: holds ``optimizer``, ``base_lrs`` and ``last_epoch``; subclasses give ``get_lr``.

    Construction performs the first ``step()`` (epoch 0), so ``group["lr"]`` is the epoch-0 rate
    right away. Pass ``last_epoch`` (the index of the last finished epoch) to resume a schedule;
    the groups must then already carry ``"initial_lr"``.
    """

    # Attributes that state_dict() leaves out (the optimizer; functions, which JSON cannot hold).
    _not_saved = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        check_optimizer(name, optimizer)
        check_number(name, "last_epoch", last_epoch, -1, integer=True)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ConfigError(
                    f"{name}: param_groups[{i}] has no 'initial_lr', needed to resume a schedule "
                    f"at last_epoch={last_epoch}; load the optimizer's state_dict first"
                )
        self.base_lrs: List[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> List[float]:
        """The learning rate of each group at epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        try:
            lrs = self.get_lr()
            self._check_lrs(lrs)
        except Exception:
            self.last_epoch -= 1  # a refused step leaves the schedule where it was
            raise
        self._set_lrs(lrs)

    def _check_lrs(self, lrs: Sequence[Any]) -> None:
        """Refuse a rate the optimizer itself would refuse (``SGD(lr=-1)``): a LambdaLR whose
        function goes negative or NaN would otherwise ascend the loss without a word."""
        for i, lr in enumerate(lrs):
            if not is_real(lr) or not lr >= 0:
                raise ConfigError(f"{type(self).__name__}: epoch {self.last_epoch} gives "
                                  f"parameter group {i} the learning rate {lr!r}; a learning "
                                  "rate must be a number >= 0")

    def _set_lrs(self, lrs: Sequence[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_last_lr(self) -> List[float]:
        """The learning rates set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> Dict[str, Any]:
        """The scheduler's attributes (JSON-serialisable), without the optimizer."""
        return {k: v for k, v in vars(self).items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (only the attributes it holds)."""
        load_attributes(self, state_dict, self.state_dict())


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``: decay by ``gamma`` every ``step_size``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        check_positive_int("StepLR", "step_size", step_size)
        check_number("StepLR", "gamma", gamma, 0, low_open=True)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        factor = self.gamma ** (self.last_epoch // self.step_size)
        return [base_lr * factor for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr = base_lr * gamma ** (number of milestones <= epoch)``: decay at chosen epochs."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1):
        if not isinstance(milestones, (list, tuple)) or not all(map(is_int, milestones)):
            raise ConfigTypeError(f"MultiStepLR: invalid milestones value: {milestones!r} "
                                  "(expected a list of integer epochs)")
        check_number("MultiStepLR", "gamma", gamma, 0, low_open=True)
        self.milestones = sorted(milestones)  # a repeated milestone decays twice, as in PyTorch
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        factor = self.gamma ** bisect_right(self.milestones, self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``: decay by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_number("ExponentialLR", "gamma", gamma, 0, low_open=True)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs (SGDR, no restarts).

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``. Past ``T_max`` the
    cosine keeps going and the rate climbs back up (period ``2 * T_max``), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0,
                 last_epoch: int = -1):
        check_positive_int("CosineAnnealingLR", "T_max", T_max)
        check_number("CosineAnnealingLR", "eta_min", eta_min, 0)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``, one function for all groups or one per group.

    The functions are not saved by ``state_dict()`` (as in PyTorch): pass them again when you
    rebuild the scheduler, then load the state.
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Union[Callable[[int], float], Sequence[Callable[[int], float]]],
                 last_epoch: int = -1):
        owner = type(self).__name__
        check_optimizer(owner, optimizer)
        n_groups = len(optimizer.param_groups)
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * n_groups
        elif not isinstance(lr_lambda, (list, tuple)) or not all(map(callable, lr_lambda)):
            raise ConfigTypeError(f"{owner}: invalid lr_lambda value: {lr_lambda!r} (expected "
                                  "a function of the epoch, or a list of them)")
        elif len(lr_lambda) == n_groups:
            self.lr_lambdas = list(lr_lambda)
        else:
            raise ConfigError(
                f"{owner}: invalid lr_lambda value: expected one function or {n_groups} (one "
                f"per parameter group), got {len(lr_lambda)}"
            )
        super().__init__(optimizer, last_epoch)

    def factors(self) -> List[float]:
        """Each group's ``lr_lambda(last_epoch)``, checked to be a number."""
        factors = []
        for i, fn in enumerate(self.lr_lambdas):
            factor = fn(self.last_epoch)
            if not is_real(factor):
                raise ConfigTypeError(f"{type(self).__name__}: lr_lambda of parameter group {i} "
                                      f"returned {factor!r} at epoch {self.last_epoch} "
                                      "(expected a number)")
            factors.append(float(factor))
        return factors

    def get_lr(self) -> List[float]:
        return [base_lr * factor for base_lr, factor in zip(self.base_lrs, self.factors())]


class MultiplicativeLR(LambdaLR):
    """``lr = lr * lr_lambda(epoch)`` at each step after the first: the rate is the product of
    the factors so far. Recursive (from the group's current ``lr``), as in PyTorch: this one
    has no closed form to read off, and a rate set by hand carries on."""

    def get_lr(self) -> List[float]:
        current = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch <= 0:
            return current
        return [lr * factor for lr, factor in zip(current, self.factors())]


class LinearLR(LRScheduler):
    """Linear warm-up: the factor goes from ``start_factor`` to ``end_factor`` in ``total_iters``.

    ``lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1):
        check_number("LinearLR", "start_factor", start_factor, 0, 1, low_open=True)
        check_number("LinearLR", "end_factor", end_factor, 0, 1)
        check_positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SchedulerList:
    """The state of a scheduler made of schedulers (``self._schedulers``: SequentialLR,
    ChainedScheduler): its own attributes and each scheduler's state, checked whole before
    anything is changed."""

    def state_dict(self) -> Dict[str, Any]:
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        own = self.state_dict()
        # Check the whole snapshot (ours and each scheduler's) before changing anything.
        load_attributes(self, state_dict, own, apply=False)
        saved = state_dict["_schedulers"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self._schedulers):
            raise ConfigError(f"{type(self).__name__}.load_state_dict: '_schedulers' must hold "
                              f"{len(self._schedulers)} scheduler states, got {saved!r:.80}")
        for scheduler, state, mine in zip(self._schedulers, saved, own["_schedulers"]):
            load_attributes(scheduler, state, mine, apply=False)
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_schedulers"})


class SequentialLR(SchedulerList, LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its epoch 0, ...

    E.g. ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)],
    milestones=[5])``: five epochs of warm-up, then cosine decay. Each scheduler counts its own
    epochs from the milestone where it takes over.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1):
        check_optimizer("SequentialLR", optimizer)
        for name, value in (("schedulers", schedulers), ("milestones", milestones)):
            if not isinstance(value, (list, tuple)):
                raise ConfigTypeError(f"SequentialLR: invalid {name} value: {value!r} (expected "
                                      "a list)")
        if len(schedulers) < 1 or len(milestones) != len(schedulers) - 1:
            raise ConfigError(
                f"SequentialLR: invalid milestones value: {list(milestones)!r}: expected "
                f"len(schedulers) - 1 = {len(schedulers) - 1} milestones"
            )
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau) or not isinstance(scheduler, LRScheduler):
                raise ConfigTypeError(f"SequentialLR: schedulers[{i}] is not an epoch-based "
                                      "scheduler")
            if scheduler.optimizer is not optimizer:
                raise ConfigError(f"SequentialLR: schedulers[{i}] belongs to another optimizer")
        for earlier, later in zip([0] + list(milestones), milestones):
            if not is_int(later) or not later > earlier:
                raise ConfigError(f"SequentialLR: invalid milestones value: {list(milestones)!r} "
                                  "(expected strictly increasing positive integers)")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self.milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        # Constructing each scheduler performed its epoch-0 step; restart the first one alone.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._restart(self._schedulers[0])
        self._last_lr = self._schedulers[0].get_last_lr()

    @staticmethod
    def _restart(scheduler: LRScheduler) -> None:
        scheduler.last_epoch = -1
        scheduler.step()

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self.milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self.milestones[index - 1] == self.last_epoch:
            self._restart(scheduler)  # this scheduler takes over: it starts at its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()



# Schedules kept in their own files (they subclass LRScheduler, so they are imported last), and
# importable from here as in PyTorch: ``lr_scheduler.OneCycleLR``.
from minidl.optim.chained import ChainedScheduler, ConstantLR, PolynomialLR  # noqa: E402, F401
from minidl.optim.cyclic_schedulers import (  # noqa: E402, F401
    CosineAnnealingWarmRestarts,  # noqa: E402, F401
    CyclicLR,
    OneCycleLR,
)
