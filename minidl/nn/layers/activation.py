"""Activation layers: Modules that call the functions in ``minidl/nn/activation_functional.py``.

They hold no parameters; as layers they can sit in a ``Sequential`` and show in a model's repr.
``inplace`` is accepted where PyTorch has it, for compatibility: minidl always returns a new
tensor (the values are the same).

Read next: ``minidl/nn/activation_functional.py`` (their math, and the fused backward rules).
"""
from __future__ import annotations

from minidl.config_checks import check_choice, check_finite, check_number
from minidl.nn import functional as F
from minidl.nn.activation_functional import check_softplus_beta
from minidl.nn.module import Module
from minidl.tensor import Tensor


class ReLU(Module):
    """y = max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = check_finite("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class GELU(Module):
    """y = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), or its tanh approximation
    (``approximate="tanh"``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """y = log(1 + exp(beta x)) / beta (x itself where beta x > threshold)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check_softplus_beta("Softplus", beta)
        self.threshold = check_number("Softplus", "threshold", threshold)

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """y = exp(x) / sum(exp(x)) along ``dim`` (required here: PyTorch's implicit choice of
    dim is deprecated)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_number("Softmax", "dim", dim, integer=True)

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x - logsumexp(x) along ``dim``: log-probabilities for NLLLoss."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_number("LogSoftmax", "dim", dim, integer=True)

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
