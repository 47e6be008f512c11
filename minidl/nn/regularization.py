"""The L1 penalty: a term added to the loss that pulls every weight toward zero.

Add ``lam * l1_penalty(model.parameters())`` to the loss; ``backward()`` then adds
``lam * sign(p)`` to every gradient. (L2 regularization needs no helper: it is the optimizers'
``weight_decay``.) ``minidl.nn.utils`` re-exports ``l1_penalty``.

Gradient steps on this penalty *shrink* weights but do not make them exactly zero: a step of
fixed size ``lr * lam`` almost never lands on 0.0, it steps over it, and the weight then hovers
around 0 with its sign flipping. Exact zeros (a sparse model) come from the proximal step that
sparse solvers use instead of the penalty's gradient: after each step on the data loss alone,
soft-threshold every weight, ``p <- sign(p) * max(|p| - lr * lam, 0)``.
``examples/regularization.py`` does both and counts the exact zeros (none with the penalty's
gradient, 6.5% of the weights with the proximal step).

Read next: ``minidl/nn/clip.py`` (gradient clipping); ``examples/regularization.py`` measures L1
against L2, dropout and early stopping.
"""
from __future__ import annotations

from typing import Iterable, Union

import numpy as np

from minidl.tensor import Tensor


def l1_penalty(params: Union[Tensor, Iterable[Tensor]]) -> Tensor:
    """``sum_i |p_i|`` over all entries of all ``params``, as a differentiable 0-d Tensor.

    Its gradient is ``sign(p)`` (0 at 0): a constant-size pull toward zero, which (unlike
    L2's ``p``) does not fade for small weights. Small weights shrink to near zero; for exact
    zeros use a proximal (soft-threshold) step, as the module docstring says.
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
