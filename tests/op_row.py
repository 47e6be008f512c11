"""One row of the op table (``tests/op_table.py``): an op, its NumPy reference, the inputs it is
drawn on, and the words that say why those inputs.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import minidl


@dataclass(frozen=True)
class Op:
    """``fn(*tensors, **params)`` computes with minidl what ``ref(*arrays, **params)`` computes
    with NumPy, on the ``Case``s that ``cases`` draws (``tests/op_cases.py``)."""

    name: str
    fn: Callable[..., minidl.Tensor]
    ref: Callable[..., np.ndarray]
    cases: Any  # a Hypothesis strategy of Case
    domain: str = "[-3, 3]"
    kinks: str = "smooth everywhere on the domain"
    eps: float = 1e-6  # central-difference step

    def __repr__(self) -> str:
        return self.name
