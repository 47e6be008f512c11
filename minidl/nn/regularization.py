"""The L1 penalty: a term added to the loss that pushes weights toward exactly zero.

Add ``lam * l1_penalty(model.parameters())`` to the loss; ``backward()`` then adds
``lam * sign(p)`` to every gradient. (L2 regularization needs no helper: it is the optimizers'
``weight_decay``.) ``minidl.nn.utils`` re-exports ``l1_penalty``.

Read next: ``minidl/nn/clip.py`` (gradient clipping); ``examples/regularization.py`` measures L1
against L2, dropout and early stopping.
"""
from __future__ import annotations

from typing import Iterable, Union

import numpy as np

from minidl.tensor import Tensor


def l1_penalty(params: Union[Tensor, Iterable[Tensor]]) -> Tensor:
    """``sum_i |p_i|`` over all entries of all ``params``, as a differentiable 0-d Tensor.

    Its gradient is ``sign(p)``: a constant-size pull toward zero, which (unlike L2's ``p``)
    does not fade for small weights, so L1 drives weights to exactly zero (sparse models).
    """
    if isinstance(params, Tensor):
        params = [params]
    total = None
    for p in params:
        term = p.abs().sum()
        total = term if total is None else total + term
    if total is None:
        return Tensor(np.zeros((), dtype=np.float32))
    return total
