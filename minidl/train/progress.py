"""A progress bar for one epoch: tqdm when it is installed, plain printed lines otherwise.

Usage::

    bar = ProgressBar(total=len(loader), desc="epoch 1/10")
    for images, labels in loader:
        ...
        bar.update(loss=f"{running_loss:.4f}", acc=f"{100 * running_acc:.1f}%")
    bar.close()

tqdm is optional (``pip install tqdm``, or the ``train`` extra). Without it the bar prints one
line at most every ``interval`` seconds, which also reads well in log files.
Values are shown as given, so the caller decides their format. The bar writes to stderr, so the
per-epoch summaries a script prints to stdout stay easy to grep.

Read next: ``minidl/distributed/process_group.py``, training on several processes;
``examples/train_mnist.py`` puts all of ``minidl/train`` to work.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Optional


class ProgressBar:
    """Progress over ``total`` steps, starting at ``initial`` (a resumed epoch), with stats."""

    def __init__(self, total: int, desc: str = "", initial: int = 0, enabled: bool = True,
                 interval: float = 10.0):
        self.total = total
        self.desc = desc
        self.count = initial
        self.enabled = enabled
        self.interval = interval
        self.stats: dict = {}
        self._last_print = time.monotonic()
        self._tqdm: Optional[Any] = None
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        # leave=False: the bar disappears when the epoch ends, making room for its summary line.
        self._tqdm = tqdm(total=total, initial=initial, desc=desc, leave=False, unit="batch",
                          dynamic_ncols=True, mininterval=0.5, file=sys.stderr)

    def update(self, n: int = 1, **stats: Any) -> None:
        """Advance by ``n`` steps and show ``stats`` (name=value) next to the bar."""
        self.count += n
        self.stats = stats
        if self._tqdm is not None:
            # refresh=False: update() redraws, at most twice a second (mininterval).
            self._tqdm.set_postfix(stats, refresh=False)
            self._tqdm.update(n)
        elif self.enabled and time.monotonic() - self._last_print >= self.interval:
            self._print()

    def _print(self) -> None:
        self._last_print = time.monotonic()
        shown = ", ".join(f"{name}={value}" for name, value in self.stats.items())
        print(f"{self.desc} [{self.count}/{self.total}] {shown}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
