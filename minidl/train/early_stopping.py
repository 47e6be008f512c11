"""Early stopping: end training when the validation loss has stopped improving.

Training loss keeps falling as a model memorizes its training set; validation loss falls, then
rises again once the model starts to overfit. Early stopping watches the validation metric after
every epoch, remembers the best value (the checkpoint worth keeping) and stops after ``patience``
epochs in a row without an improvement of more than ``min_delta``. It is also the natural place
to ask "was this epoch the best so far?", which decides when to save the best checkpoint.

Read next: ``history.py`` (what is recorded each epoch).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional


class EarlyStopping:
    """``stop = early_stopping.step(val_loss)`` once per epoch.

    ``patience``: epochs without improvement to tolerate (``None``: never stop, only track the
    best). ``mode="min"`` for losses, ``"max"`` for accuracies. A value improves on ``best``
    when ``value < best - min_delta`` (``"min"``) or ``value > best + min_delta`` (``"max"``).
    After ``step``, ``improved`` says whether this value was a new best.
    """

    def __init__(self, patience: Optional[int] = None, min_delta: float = 0.0,
                 mode: str = "min"):
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int)
                                     or patience < 1):
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1 or None, "
                             f"got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: Optional[int] = None
        self.bad_epochs = 0  # epochs in a row without improvement
        self.improved = False

    def step(self, value: float, epoch: Optional[int] = None) -> bool:
        """Record this epoch's ``value``; True when training should stop now."""
        value = float(value)
        if self.mode == "min":
            self.improved = value < self.best - self.min_delta
        else:
            self.improved = value > self.best + self.min_delta
        if self.improved:
            self.best = value
            self.best_epoch = epoch
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> Dict[str, Any]:
        """Everything ``step`` depends on, as JSON-friendly data (for checkpoints)."""
        return dict(vars(self))

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore the progress (best value and epoch, bad epochs). The settings (patience,
        min_delta, mode) stay as constructed, so a resumed run may change its patience."""
        progress = ("best", "best_epoch", "bad_epochs", "improved")
        missing = [key for key in progress if key not in state]
        if missing:
            raise KeyError(f"EarlyStopping.load_state_dict: missing keys {missing}")
        if state.get("mode", self.mode) != self.mode:
            raise ValueError(f"EarlyStopping.load_state_dict: saved mode {state['mode']!r} "
                             f"differs from this one's {self.mode!r}")
        self.__dict__.update({key: state[key] for key in progress})
