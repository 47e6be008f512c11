"""Loss Modules: ``criterion = CrossEntropyLoss(); loss = criterion(logits, labels)``.

Each holds its hyperparameters (checked here, when the loss is built, so a typo fails early)
and calls the function of the same name in ``loss_functional.py``, where the formulas are.
Class weights are buffers, so ``.to(device)`` moves them and ``state_dict()`` saves them.

Read next: ``minidl/nn/loss_functional.py`` (the same losses as functions, and their math).
"""
from __future__ import annotations

from typing import Optional

from minidl.config_checks import ConfigTypeError, check_number
from minidl.errors import DTypeError
from minidl.nn import loss_functional as L
from minidl.nn.module import Module
from minidl.tensor import Tensor


def _check_weight(owner: str, name: str, weight: Optional[Tensor]) -> None:
    """Class weights are None or a floating-point Tensor: a list or an integer tensor would
    only fail at the first forward."""
    if weight is None:
        return
    if not isinstance(weight, Tensor):
        raise ConfigTypeError(f"{owner}: {name} must be a Tensor or None, got "
                              f"{type(weight).__name__}")
    if weight.dtype.kind != "f":
        raise DTypeError(f"{owner}: {name} must be a floating-point Tensor, got {weight.dtype}")


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        L.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    def __init__(self, weight: Optional[Tensor] = None, reduction: str = "mean"):
        super().__init__(reduction)
        _check_weight(type(self).__name__, "weight", weight)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """l = (x - y)^2, reduced: the mean squared error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """l = |x - y|, reduced: the mean absolute error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """l = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = check_number("HuberLoss", "delta", delta, 0, low_open=True)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCEWithLogitsLoss(_WeightedLoss):
    """l = w [(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)]: sigmoid + binary
    cross-entropy on logits x, stable for any x; target y has the input's shape."""

    def __init__(self, weight: Optional[Tensor] = None, reduction: str = "mean",
                 pos_weight: Optional[Tensor] = None):
        super().__init__(weight, reduction)
        _check_weight("BCEWithLogitsLoss", "pos_weight", pos_weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_WeightedLoss):
    """l_i = -w[c_i] x[i, c_i] for log-probabilities x and class indices c."""

    def __init__(self, weight: Optional[Tensor] = None, ignore_index: int = -100,
                 reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = check_number("NLLLoss", "ignore_index", ignore_index, integer=True)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits x against class indices c, with optional class weights
    and label smoothing s:  l_i = -sum_k q_ik log softmax(x_i)_k,
    q_ik = (1 - s) w[c_i] [k = c_i] + s w_k / C  (see ``loss_functional.cross_entropy``)."""

    def __init__(self, weight: Optional[Tensor] = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, reduction)
        L.check_label_smoothing("CrossEntropyLoss", label_smoothing)
        self.ignore_index = check_number("CrossEntropyLoss", "ignore_index", ignore_index,
                                         integer=True)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge: l_i = sum_{k != c_i} w[c_i] max(0, margin - x[c_i] + x[k])^p / C."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Optional[Tensor] = None,
                 reduction: str = "mean"):
        super().__init__(weight, reduction)
        L.check_margin_p("MultiMarginLoss", p)
        self.p = p
        self.margin = check_number("MultiMarginLoss", "margin", margin)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                   reduction=self.reduction)
