"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

The loop is ``for epoch: train(...); scheduler.step()``. Each epoch-based scheduler here computes
the learning rate in *closed form*, as a function of the group's starting rate (``base_lrs``, kept
in the group as ``"initial_lr"``, as PyTorch does) and the epoch counter ``last_epoch``. PyTorch
computes most schedules *recursively* from the current ``group["lr"]`` (so that several schedulers
can be chained); for a single scheduler the two give the same sequence, and the closed form is the
one you can read off the formula. Consequence: an ``lr`` set by hand is overwritten at the next
``step()``. To combine schedules in time (warm-up, then decay) use ``SequentialLR``.

``ReduceLROnPlateau`` is different: it watches a metric, so it lives in ``plateau.py`` (read next).

Read next: ``plateau.py`` (``ReduceLROnPlateau``, which watches a metric).
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Callable, Dict, List, Sequence, Union

from minidl.optim.optimizer import Optimizer, check_hyperparameter
from minidl.optim.plateau import ReduceLROnPlateau


class LRScheduler:
    """Base class: holds ``optimizer``, ``base_lrs`` and ``last_epoch``; subclasses give ``get_lr``.

    Construction performs the first ``step()`` (epoch 0), so ``group["lr"]`` is the epoch-0 rate
    right away. Pass ``last_epoch`` (the index of the last finished epoch) to resume a schedule;
    the groups must then already carry ``"initial_lr"``.
    """

    # Attributes that state_dict() leaves out (the optimizer; functions, which JSON cannot hold).
    _not_saved = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param_groups[{i}] has no 'initial_lr', needed to resume a schedule at "
                    f"last_epoch={last_epoch}; load the optimizer's state_dict first"
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
        self._set_lrs(self.get_lr())

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
        self.__dict__.update(state_dict)


def _check_positive_int(value: Any, name: str) -> None:
    check_hyperparameter(isinstance(value, int) and value > 0, name, value, "a positive integer")


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``: decay by ``gamma`` every ``step_size``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        _check_positive_int(step_size, "step_size")
        check_hyperparameter(gamma > 0, "gamma", gamma, "> 0")
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
        for milestone in milestones:
            check_hyperparameter(isinstance(milestone, int), "milestones", list(milestones),
                                 "a list of integer epochs")
        check_hyperparameter(gamma > 0, "gamma", gamma, "> 0")
        self.milestones = sorted(milestones)  # a repeated milestone decays twice, as in PyTorch
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        factor = self.gamma ** bisect_right(self.milestones, self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``: decay by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_hyperparameter(gamma > 0, "gamma", gamma, "> 0")
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
        _check_positive_int(T_max, "T_max")
        check_hyperparameter(eta_min >= 0, "eta_min", eta_min, ">= 0")
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
        n_groups = len(optimizer.param_groups)
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * n_groups
        elif len(lr_lambda) == n_groups:
            self.lr_lambdas = list(lr_lambda)
        else:
            raise ValueError(
                f"Invalid lr_lambda value: expected one function or {n_groups} (one per "
                f"parameter group), got {len(lr_lambda)}"
            )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        return [base_lr * float(fn(self.last_epoch))
                for base_lr, fn in zip(self.base_lrs, self.lr_lambdas)]


class LinearLR(LRScheduler):
    """Linear warm-up: the factor goes from ``start_factor`` to ``end_factor`` in ``total_iters``.

    ``lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1):
        check_hyperparameter(0 < start_factor <= 1, "start_factor", start_factor, "in (0, 1]")
        check_hyperparameter(0 <= end_factor <= 1, "end_factor", end_factor, "in [0, 1]")
        _check_positive_int(total_iters, "total_iters")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its epoch 0, ...

    E.g. ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)],
    milestones=[5])``: five epochs of warm-up, then cosine decay. Each scheduler counts its own
    epochs from the milestone where it takes over.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1):
        if len(schedulers) < 1 or len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"Invalid milestones value: {list(milestones)!r}: expected "
                f"len(schedulers) - 1 = {len(schedulers) - 1} milestones"
            )
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau) or not isinstance(scheduler, LRScheduler):
                raise TypeError(f"SequentialLR: schedulers[{i}] is not an epoch-based scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{i}] belongs to another optimizer")
        for earlier, later in zip([0] + list(milestones), milestones):
            check_hyperparameter(isinstance(later, int) and later > earlier, "milestones",
                                 list(milestones), "strictly increasing positive integers")
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

    def state_dict(self) -> Dict[str, Any]:
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state.pop("_schedulers")):
            scheduler.load_state_dict(saved)
        self.__dict__.update(state)
