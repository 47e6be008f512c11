"""Dropout: randomly zero activations in training, as a regularizer.

Read next: ``conv.py`` (Conv2d).
"""
from __future__ import annotations

from minidl.nn import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1 / (1 - p)
    ("inverted" dropout: E[y] = x, so nothing changes at evaluation); in eval mode, the
    identity. p must be in [0, 1): unlike PyTorch, p = 1 (drop everything) is refused.
    The mask comes from minidl's seeded generator, so ``minidl.manual_seed`` repeats it."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F.check_dropout_p(p, "Dropout")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
