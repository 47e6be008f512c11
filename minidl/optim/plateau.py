"""ReduceLROnPlateau: lower the learning rate when a watched metric stops improving.

Unlike the epoch-based schedules in ``lr_scheduler.py`` (which re-exports this class), the rate
here depends on the history of a metric, so there is no closed form: the scheduler counts "bad"
epochs and multiplies ``lr`` by ``factor`` when there have been more than ``patience`` in a row.

Read next: ``minidl/data/dataset.py``, where the data pipeline begins.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence, Union

from minidl.optim.optimizer import Optimizer, check_hyperparameter


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
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: {type(optimizer).__name__} is not an Optimizer")
        check_hyperparameter(mode in ("min", "max"), "mode", mode, "'min' or 'max'")
        check_hyperparameter(threshold_mode in ("rel", "abs"), "threshold_mode", threshold_mode,
                             "'rel' or 'abs'")
        check_hyperparameter(0 <= factor < 1, "factor", factor, "in [0, 1)")
        check_hyperparameter(isinstance(patience, int) and patience >= 0, "patience", patience,
                             "an integer >= 0")
        check_hyperparameter(isinstance(cooldown, int) and cooldown >= 0, "cooldown", cooldown,
                             "an integer >= 0")
        check_hyperparameter(threshold >= 0, "threshold", threshold, ">= 0")
        check_hyperparameter(eps >= 0, "eps", eps, ">= 0")
        n_groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n_groups
        check_hyperparameter(len(min_lrs) == n_groups, "min_lr", min_lr,
                             f"one number or {n_groups} (one per parameter group)")
        for value in min_lrs:
            check_hyperparameter(value >= 0, "min_lr", min_lr, ">= 0")
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
        """Record one epoch's metric and lower the learning rates if it has plateaued."""
        current = float(metrics)
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
        self.__dict__.update(state_dict)
