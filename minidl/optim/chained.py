"""Factor schedules and their composition: ConstantLR, PolynomialLR, ChainedScheduler.

``ConstantLR`` and ``PolynomialLR`` multiply the starting rate by a factor that depends on the
epoch, like ``LinearLR`` or ``ExponentialLR`` in ``lr_scheduler.py``. ``ChainedScheduler`` steps
several such schedules together and multiplies their factors: warm-up *times* decay, where
``SequentialLR`` runs schedules one after another.

PyTorch gets the product for free: its schedules update ``group["lr"]`` recursively
(``lr_t = lr_{t-1} · f_t / f_{t-1}``), so each one scales what the previous one wrote. minidl's
schedules are closed forms of ``base_lr`` (see ``lr_scheduler.py``), so ``ChainedScheduler``
multiplies their factors ``lr_i / base_lr_i`` explicitly. For multiplicative schedules (all of
minidl's except the cosine and cyclic ones) the two are the same sequence; a chained
``CosineAnnealingLR`` with ``eta_min > 0`` differs, and there PyTorch's recursive result
depends on the order of the chain, ours does not.

Read next: ``cyclic_schedulers.py`` (CyclicLR, OneCycleLR, warm restarts).
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from minidl.config_checks import ConfigTypeError, check_number, check_positive_int
from minidl.errors import ConfigError
from minidl.optim.lr_scheduler import LRScheduler, SchedulerList
from minidl.optim.optimizer import Optimizer
from minidl.optim.plateau import check_optimizer


class ConstantLR(LRScheduler):
    """``lr = base_lr * factor`` for the first ``total_iters`` epochs, then ``base_lr``.

    A constant warm-up, e.g. a tenth of the rate for the first epochs while batch-norm statistics
    settle. ``factor`` is in [0, 1], as PyTorch requires.
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
        check_number("ConstantLR", "factor", factor, 0, 1)
        check_number("ConstantLR", "total_iters", total_iters, 0, integer=True)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        factor = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base_lr * factor for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``: decay to zero.

    ``power = 1`` is a straight line down to 0 at ``total_iters`` (where the rate then stays).
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
        check_positive_int("PolynomialLR", "total_iters", total_iters)
        check_number("PolynomialLR", "power", power, 0)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        remaining = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * remaining ** self.power for base_lr in self.base_lrs]


class ChainedScheduler(SchedulerList, LRScheduler):
    """Step several schedules of one optimizer at once; their factors multiply.

    ``lr = lr_1 · Π_{i ≥ 2} lr_i / base_lr_i``, where ``lr_i`` is what schedule ``i`` alone would
    set. E.g. ``ChainedScheduler([ConstantLR(opt, 0.1, total_iters=2), ExponentialLR(opt,
    0.9)])`` gives ``base_lr · 0.1 · 0.9^t`` for two epochs, then ``base_lr · 0.9^t``.
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optional[Optimizer] = None):
        name = "ChainedScheduler"
        if not isinstance(schedulers, (list, tuple)) or not schedulers:
            raise ConfigError(f"{name}: expected a non-empty list of schedulers, got "
                              f"{schedulers!r:.80}")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise ConfigTypeError(f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, "
                                      "not an epoch-based scheduler (ReduceLROnPlateau needs a "
                                      "metric, so it cannot be chained)")
        optimizer = schedulers[0].optimizer if optimizer is None else optimizer
        check_optimizer(name, optimizer)
        for i, scheduler in enumerate(schedulers):
            if scheduler.optimizer is not optimizer:
                raise ConfigError(f"{name}: schedulers[{i}] belongs to another optimizer; all "
                                  "chained schedulers must share one")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        # Each scheduler's construction set its own epoch-0 rate; combine them.
        self._combine()

    def _combine(self) -> None:
        """Write the product of the schedulers' factors into the optimizer."""
        lrs = list(self._schedulers[0].get_last_lr())
        for scheduler in self._schedulers[1:]:
            for g, (lr, base) in enumerate(zip(scheduler.get_last_lr(), scheduler.base_lrs)):
                lrs[g] *= lr / base if base != 0 else 0.0
        self._set_lrs(lrs)

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._combine()

