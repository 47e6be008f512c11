"""Dropout layers: randomly zero activations in training, as a regularizer; the identity in
eval. Dropout (each element), Dropout1d, Dropout2d and Dropout3d (whole channels), AlphaDropout (for
SELU networks). The math is in ``minidl/nn/dropout_functional.py``.

Read next: ``minidl/nn/dropout_functional.py`` (the masks and their scaling).
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

    function = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F.check_dropout_p(p, type(self).__name__)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Dropout of whole channels of (N, C, L) (or one (C, L)): each channel of each sample is
    zeroed with probability p, the rest scaled by 1 / (1 - p)."""

    function = staticmethod(F.dropout1d)


class Dropout2d(Dropout):
    """Dropout of whole channels (feature maps) of (N, C, H, W) (or one (C, H, W)); see
    ``dropout2d`` for the 3-D input."""

    function = staticmethod(F.dropout2d)


class Dropout3d(Dropout):
    """Dropout of whole channels (volumes) of (N, C, D, H, W) (or one (C, D, H, W))."""

    function = staticmethod(F.dropout3d)


class AlphaDropout(Dropout):
    """Dropout for self-normalizing networks (SELU): dropped units are set to SELU's
    negative saturation and an affine map keeps mean 0 and variance 1."""

    function = staticmethod(F.alpha_dropout)
