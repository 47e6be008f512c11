"""Softmax2d and RReLU, PyTorch's last activation layers.

    Softmax2d   softmax over the channels (dim -3) at every position of (C, H, W) or
                (N, C, H, W): a class distribution per pixel, as in segmentation
    RReLU       x if x >= 0 else a x; a ~ U(lower, upper) per element while training, the
                mean slope (lower + upper) / 2 in eval mode (``F.rrelu``)

Read next: ``bilinear.py`` (Bilinear, a bilinear form per output feature).
"""
from __future__ import annotations

from minidl.config_checks import check_bool
from minidl.errors import ShapeError
from minidl.nn.activation_functional import rrelu, softmax
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Softmax2d(Module):
    """softmax(x, dim=-3): the channels of each position sum to 1."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ShapeError(f"Softmax2d: expected input of shape (C, H, W) or (N, C, H, W), "
                             f"got {tuple(input.shape)}")
        return softmax(input, -3)


class RReLU(Module):
    """Randomized leaky ReLU (``F.rrelu``), random while ``self.training``."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        check_bool("RReLU", "inplace", inplace)
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True"
                                                            if self.inplace else "")
