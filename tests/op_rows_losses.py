"""Op-table rows of issue 17's losses: binary cross-entropy, smooth L1,
KL divergence, soft-target cross-entropy, margin, triplet, Poisson and Gaussian NLL

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

from typing import Callable, Dict, List

from op_row import Op

try:
    import torch
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = None

ROWS: List[Op] = []
TORCH: Dict[str, Callable] = {}
