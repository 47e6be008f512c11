"""ReduceLROnPlateau: lower the learning rate when a watched metric stops improving.

Unlike the epoch-based schedules in ``lr_scheduler.py`` (which re-exports this class), the rate
here depends on the history of a metric, so there is no closed form: the scheduler counts "bad"
epochs and multiplies ``lr`` by ``factor`` when there have been more than ``patience`` in a row.

Two checks every scheduler shares live here too, since ``lr_scheduler.py`` imports this file:
``check_optimizer`` (a scheduler needs an Optimizer) and ``load_attributes`` (a snapshot given
to ``load_state_dict`` must hold this scheduler's attributes, checked before any is set).

Read next: ``chained.py`` (ConstantLR, PolynomialLR, ChainedScheduler), then
``cyclic_schedulers.py``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence, Union

from minidl.config_checks import ConfigTypeError, check_choice, check_number, is_real
from minidl.errors import ConfigError
from minidl.optim.optimizer import Optimizer


class ReduceLROnPlateau:
    """Multiply each group's ``lr`` by ``factor`` after ``patience`` epochs without improvement.

    Call ``scheduler.step(metric)`` once per epoch (e.g. with the validation loss). A new value
    ``a`` is an improvement over the best so far, ``best``, when (``mode="min"``)::

        a < best * (1 - threshold)   if threshold_mode == "rel"
        a < best - threshold         if threshold_mode == "abs"

    (``mode="max"`` flips the inequalities and signs.) After ``patience + 1`` epochs in a row
    without improvement, ``lr ← max(lr * factor, min_lr)``, then ``cooldown`` epochs pass in which
    bad epochs are not counted. Changes smaller than ``eps`` are skipped. Same as PyTorch.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: Union[float, Sequence[float]] = 0,
                 eps: float = 1e-8):
        name = "ReduceLROnPlateau"
        check_optimizer(name, optimizer)
        check_choice(name, "mode", mode, ("min", "max"))
        check_choice(name, "threshold_mode", threshold_mode, ("rel", "abs"))
        check_number(name, "factor", factor, 0, 1, high_open=True)
        check_number(name, "patience", patience, 0, integer=True)
        check_number(name, "cooldown", cooldown, 0, integer=True)
        check_number(name, "threshold", threshold, 0)
        check_number(name, "eps", eps, 0)
        n_groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n_groups
        if len(min_lrs) != n_groups:
            raise ConfigError(f"{name}: invalid min_lr value: {min_lr!r} (expected one number "
                              f"or {n_groups}, one per parameter group)")
        for value in min_lrs:
            check_number(name, "min_lr", value, 0)
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lrs = [float(value) for value in min_lrs]
        self.eps = eps
        self.last_epoch = 0
        # The worst possible value, so the first metric is always an improvement.
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Is ``a`` an improvement on ``best`` by more than the threshold?"""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1 + self.threshold)
        return a > best + self.threshold

    def step(self, metrics: Any) -> None:
        """Record one epoch's metric and lower the learning rates if it has plateaued.

        ``metrics`` is a number or a one-element Tensor (e.g. the validation loss). A NaN counts
        as no improvement, as in PyTorch."""
        current = _metric_value(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def get_last_lr(self) -> List[float]:
        """The learning rates after the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> Dict[str, Any]:
        """The scheduler's attributes without the optimizer (``best`` may be +-inf: JSON writes
        it as ``Infinity``, which Python's ``json`` reads back)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (only the attributes it holds)."""
        load_attributes(self, state_dict, self.state_dict())


def _metric_value(metrics: Any) -> float:
    """The watched metric as a float: a number, or a one-element Tensor or array."""
    if not is_real(metrics) and getattr(metrics, "shape", None) in ((), (1,)):
        metrics = metrics.item()
    if not is_real(metrics):
        raise ConfigTypeError(f"ReduceLROnPlateau.step: metrics must be a number (e.g. the "
                              f"validation loss), got {metrics!r:.80} ({type(metrics).__name__})")
    return float(metrics)


def check_optimizer(owner: str, optimizer: Any) -> None:
    """A scheduler is built on an Optimizer (the one whose ``lr`` it changes)."""
    if not isinstance(optimizer, Optimizer):
        raise ConfigTypeError(f"{owner}: {type(optimizer).__name__} is not an Optimizer")


def load_attributes(scheduler: Any, state_dict: Any, own: Dict[str, Any],
                    apply: bool = True) -> None:
    """Check a scheduler snapshot against ``own`` (the scheduler's current ``state_dict()``):
    the same attributes, each of the same kind (number, string, list of the same length); then,
    if ``apply``, set them. A snapshot of another scheduler type fails here, not at ``step()``."""
    owner = f"{type(scheduler).__name__}.load_state_dict"
    if not isinstance(state_dict, Mapping):
        raise ConfigTypeError(f"{owner}: expected a dict (from state_dict()), got "
                              f"{type(state_dict).__name__}")
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    if missing or unexpected:
        raise ConfigError(f"{owner}: the snapshot does not fit: missing {missing}, unexpected "
                          f"{unexpected}; was it saved by another type of scheduler?")
    for key, value in own.items():
        saved = state_dict[key]
        if isinstance(value, (list, tuple)):
            fits = isinstance(saved, (list, tuple)) and len(saved) == len(value)
        elif is_real(value):
            fits = is_real(saved)
        else:
            fits = isinstance(saved, type(value))
        if not fits:
            raise ConfigError(f"{owner}: {key!r} is {saved!r:.80} in the snapshot, expected a "
                              f"value like {value!r:.80}")
    if apply:
        scheduler.__dict__.update(state_dict)
