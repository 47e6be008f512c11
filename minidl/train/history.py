"""Metrics history: one record per epoch, saved as JSON and drawn as learning curves.

Each record is a flat dict such as ``{"epoch": 3, "train_loss": 0.31, "train_acc": 0.89,
"val_loss": 0.29, "val_acc": 0.90, "lr": 0.001, "time_s": 41.2}``. The history goes into every
checkpoint (so a resumed run keeps its curves), into ``metrics.json``, and into ``curves.png``:
one panel per quantity measured on both sets (``train_loss`` with ``val_loss``, ``train_acc``
with ``val_acc``). Reading the two curves side by side is how over- and underfitting show up:
validation loss turning up while training loss keeps falling means the model memorizes.

A run resumed with other hyperparameters (the notes' "save, adjust, continue": a lower learning
rate, say) records that in ``changes``: ``history.record_change(epoch=3, step=840,
lr=(0.002, 0.0005))`` says that from epoch 3, after 840 optimizer steps, ``lr`` went from 0.002
to 0.0005. The changes go into the checkpoint and ``metrics.json`` with the records, and the
curves mark each one with a dotted line, so a bend in a curve can be read against its cause.

matplotlib is optional (``pip install matplotlib``, or the ``train`` extra); without it ``plot``
draws nothing and says so by returning ``None``.

Read next: ``progress.py``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from minidl.atomic_file import PathLike, atomic_write


class History:
    """``history.append(epoch=1, train_loss=..., val_loss=..., ...)`` after each epoch."""

    def __init__(self) -> None:
        self.records: List[Dict[str, Any]] = []
        self.changes: List[Dict[str, Any]] = []

    def append(self, **metrics: Any) -> None:
        self.records.append(dict(metrics))

    def record_change(self, epoch: int, step: int, **changed: Tuple[Any, Any]) -> None:
        """Note that from ``epoch`` (1-based; after ``step`` optimizer steps in all) each
        setting ``name=(old, new)`` took its new value."""
        self.changes.append({"epoch": epoch, "step": step,
                             "changes": {name: list(values) for name, values in changed.items()}})

    def __len__(self) -> int:
        return len(self.records)

    def state_dict(self) -> Dict[str, Any]:
        return {"records": [dict(record) for record in self.records],
                "changes": [dict(change) for change in self.changes]}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.records = [dict(record) for record in state["records"]]
        # Checkpoints written before changes were recorded have none.
        self.changes = [dict(change) for change in state.get("changes", [])]

    def save_json(self, path: PathLike, **extra: Any) -> Path:
        """Write ``{"epochs": records, "changes": changes, **extra}`` to ``path`` (atomically,
        so a reader never sees half a file); ``"changes"`` only when there are any."""
        path = Path(path)
        changes = {"changes": self.changes} if self.changes else {}
        text = json.dumps({**extra, **changes, "epochs": self.records}, indent=2)
        with atomic_write(path) as stream:
            stream.write(text.encode("utf-8") + b"\n")
        return path

    def plot(self, path: PathLike) -> Optional[Path]:
        """Draw train-vs-validation curves into the image ``path``; ``None`` (and no file)
        when matplotlib is not installed."""
        try:
            # The Figure class directly, not pyplot: no GUI backend, no global state.
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            return None
        quantities = [key[len("train_"):] for key in self.records[0]
                      if key.startswith("train_")] if self.records else []
        epochs = [record["epoch"] for record in self.records]
        figure = Figure(figsize=(5 * max(len(quantities), 1), 4), layout="constrained")
        for i, quantity in enumerate(quantities):
            axes = figure.add_subplot(1, len(quantities), i + 1)
            for split in ("train", "val"):
                key = f"{split}_{quantity}"
                values = [record.get(key) for record in self.records]
                if all(value is not None for value in values):
                    axes.plot(epochs, values, marker="o", label=split)
            for change in self.changes:  # it took effect during this epoch
                axes.axvline(change["epoch"] - 0.5, color="gray", linestyle=":")
            axes.set_xlabel("epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_ylabel(quantity)
            axes.grid(alpha=0.3)
            axes.legend()
        path = Path(path)
        with atomic_write(path) as stream:
            figure.savefig(stream, format=path.suffix.lstrip(".") or "png", dpi=100)
        return path
