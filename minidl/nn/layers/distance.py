"""CosineSimilarity and PairwiseDistance: the layers of ``F.cosine_similarity`` and
``F.pairwise_distance`` (``minidl/nn/distance_losses.py``, where the math is):

    CosineSimilarity(dim=1, eps=1e-8)    x1 . x2 / (max(|x1|, eps) max(|x2|, eps))  along dim
    PairwiseDistance(p=2.0, eps=1e-6)    |x1 - x2 + eps|_p  along the last dim

They hold no parameters, only the settings, checked at construction. PyTorch prints them
without their settings (``CosineSimilarity()``); so does minidl.

Read next: ``activation_extra.py`` (Softmax2d, RReLU).
"""
from __future__ import annotations

from minidl.config_checks import check_bool, check_number
from minidl.nn.distance_losses import cosine_similarity, pairwise_distance
from minidl.nn.module import Module
from minidl.tensor import Tensor


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = check_number("CosineSimilarity", "dim", dim, integer=True)
        self.eps = check_number("CosineSimilarity", "eps", eps, 0)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm distance between the rows of x1 and x2 (``keepdim`` keeps the last dim)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = check_number("PairwiseDistance", "p", p, 0)  # PyTorch's attribute name
        self.eps = check_number("PairwiseDistance", "eps", eps, 0)
        self.keepdim = check_bool("PairwiseDistance", "keepdim", keepdim)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
