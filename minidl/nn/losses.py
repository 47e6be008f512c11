"""Loss Modules: ``criterion = CrossEntropyLoss(); loss = criterion(logits, labels)``.

Each holds its hyperparameters (checked here, when the loss is built, so a typo fails early)
and calls the function of the same name in ``loss_functional.py``, ``likelihood_losses.py``,
``distance_losses.py`` or ``margin_losses.py``, where the formulas are.
Class weights are buffers, so ``.to(device)`` moves them and ``state_dict()`` saves them.

Read next: ``minidl/nn/loss_functional.py`` (the same losses as functions, and their math).
"""
from __future__ import annotations

from typing import Optional

from minidl.config_checks import ConfigTypeError, check_bool, check_choice, check_number
from minidl.errors import DTypeError
from minidl.nn import distance_losses as D
from minidl.nn import likelihood_losses as P
from minidl.nn import loss_functional as L
from minidl.nn import margin_losses as ML
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


class SmoothL1Loss(_Loss):
    """l = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, d = x - y (HuberLoss / beta)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = check_number("SmoothL1Loss", "beta", beta, 0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return L.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """l = -w [y log p + (1 - y) log(1 - p)] on probabilities p (each log clamped to >= -100);
    BCEWithLogitsLoss on the logits is the stable choice."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


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


class KLDivLoss(_Loss):
    """l = q (log q - x) for log-probabilities x and target distribution q (or, with
    ``log_target``, q given as log q). Use reduction="batchmean" for the KL divergence; the
    default "mean" divides by the support size too, and warns (as in PyTorch)."""

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        Module.__init__(self)
        self.reduction = check_choice("KLDivLoss", "reduction", reduction,
                                      ("mean", "batchmean", "sum", "none"))
        self.log_target = check_bool("KLDivLoss", "log_target", log_target)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """l = exp(x) - y x for log-rates x (``log_input``), else x - y log(x + eps); ``full``
    adds Stirling's log(y!) where y > 1."""

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                 reduction: str = "mean"):
        super().__init__(reduction)
        self.log_input = check_bool("PoissonNLLLoss", "log_input", log_input)
        self.full = check_bool("PoissonNLLLoss", "full", full)
        self.eps = check_number("PoissonNLLLoss", "eps", eps, 0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.poisson_nll_loss(input, target, self.log_input, self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """l = 0.5 (log v + (x - y)^2 / v) for means x, targets y and variances v (clamped to
    >= eps); ``full`` adds 0.5 log(2 pi). ``forward(input, target, var)``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = check_bool("GaussianNLLLoss", "full", full)
        self.eps = check_number("GaussianNLLLoss", "eps", eps, 0)

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return P.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class CosineEmbeddingLoss(_Loss):
    """l = 1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = check_number("CosineEmbeddingLoss", "margin", margin)

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return D.cosine_embedding_loss(input1, input2, target, self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """l = max(0, -y (x1 - x2) + margin): rank x1 above x2 (y = 1) or below (y = -1)."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = check_number("MarginRankingLoss", "margin", margin)

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return D.margin_ranking_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """l = max(0, d(a, p) - d(a, n) + margin) with d the p-norm distance (``swap``: the
    negative's distance is min(d(a, n), d(p, n)))."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = check_number("TripletMarginLoss", "margin", margin)
        self.p = check_number("TripletMarginLoss", "p", p, 0)
        self.eps = check_number("TripletMarginLoss", "eps", eps)
        self.swap = check_bool("TripletMarginLoss", "swap", swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return D.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """l = log(1 + exp(-y x)) for labels y = +-1."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ML.soft_margin_loss(input, target, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """l = x for y = 1, max(0, margin - x) for y = -1 (x: a distance)."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = check_number("HingeEmbeddingLoss", "margin", margin)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ML.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One logistic loss per class for 0/1 targets, averaged over the classes."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ML.multilabel_soft_margin_loss(input, target, self.weight,
                                              reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Each listed target class beats every other class by a margin of 1 (targets: class
    indices ended by -1)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ML.multilabel_margin_loss(input, target, reduction=self.reduction)
