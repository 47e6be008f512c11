"""Metrics history: one record per epoch, saved as JSON and drawn as learning curves.

Each record is a flat dict such as ``{"epoch": 3, "train_loss": 0.31, "train_acc": 0.89,
"val_loss": 0.29, "val_acc": 0.90, "lr": 0.001, "time_s": 41.2}``. The history goes into every
checkpoint (so a resumed run keeps its curves), into ``metrics.json``, and into ``curves.png``:
one panel per quantity measured on both sets (``train_loss`` with ``val_loss``, ``train_acc``
with ``val_acc``). Reading the two curves side by side is how over- and underfitting show up:
validation loss turning up while training loss keeps falling means the model memorizes.

matplotlib is optional (``pip install matplotlib``, or the ``train`` extra); without it ``plot``
draws nothing and says so by returning ``None``.

Read next: ``progress.py``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from minidl.atomic_file import PathLike, atomic_write


class History:
    """``history.append(epoch=1, train_loss=..., val_loss=..., ...)`` after each epoch."""

    def __init__(self) -> None:
        self.records: List[Dict[str, Any]] = []

    def append(self, **metrics: Any) -> None:
        self.records.append(dict(metrics))

    def __len__(self) -> int:
        return len(self.records)

    def state_dict(self) -> Dict[str, Any]:
        return {"records": [dict(record) for record in self.records]}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.records = [dict(record) for record in state["records"]]

    def save_json(self, path: PathLike, **extra: Any) -> Path:
        """Write ``{"epochs": records, **extra}`` to ``path`` (atomically, so a reader never
        sees half a file)."""
        path = Path(path)
        text = json.dumps({**extra, "epochs": self.records}, indent=2)
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
            axes.set_xlabel("epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_ylabel(quantity)
            axes.grid(alpha=0.3)
            axes.legend()
        path = Path(path)
        with atomic_write(path) as stream:
            figure.savefig(stream, format=path.suffix.lstrip(".") or "png", dpi=100)
        return path
