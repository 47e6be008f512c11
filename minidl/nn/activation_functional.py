"""Activation functions: relu, leaky_relu, gelu, sigmoid, tanh, softplus, softmax, log_softmax.

All are composed from primitives in ``minidl.ops``: relu, sigmoid, tanh, softmax, and erf and
softplus (``minidl/ops/special.py``), except gelu, one fused node (``minidl/ops/gelu.py``; its
composed twin ``gelu_composed`` is here). ``minidl.nn.functional`` re-exports everything here.

Read next: ``minidl/nn/layers/dropout.py``.
"""
from __future__ import annotations

import math

from minidl import backend
from minidl.config_checks import check_finite
from minidl.errors import ConfigError

# re-exported
from minidl.ops import log_softmax, relu, sigmoid, softmax, tanh
from minidl.ops.dtype_checks import require_float
from minidl.ops.gelu import gelu as fused_gelu
from minidl.ops.special import Softplus, erf
from minidl.tensor import Tensor


def check_softplus_beta(op: str, beta: float) -> float:
    """beta: a finite number other than 0 (softplus divides by it)."""
    check_finite(op, "beta", beta)
    if beta == 0:
        raise ConfigError(f"{op}: invalid beta value: 0 (softplus divides by beta)")
    return beta


def softplus(input: Tensor, beta: float = 1.0) -> Tensor:
    """softplus(x) = log(1 + exp(beta x)) / beta, a smooth relu. (PyTorch's ``threshold``
    argument is not needed: this form is stable for every x.)"""
    require_float("softplus", input)
    check_softplus_beta("softplus", beta)
    if beta == 1:
        return Softplus.apply(input)
    return Softplus.apply(input * beta) / beta


# ------------------------------------------------------------------------------ composed
def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """y = x if x > 0 else negative_slope * x;  dy/dx = 1 or negative_slope (the slope at
    x = 0 is negative_slope, as in PyTorch). Composed: x times a constant mask."""
    require_float("leaky_relu", input)
    check_finite("leaky_relu", "negative_slope", negative_slope)
    xp = backend.get_array_module(input._array)
    slope = xp.where(input._array > 0, 1, negative_slope).astype(input.dtype, copy=False)
    return input * Tensor._make(slope, False)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x Phi(x), Phi the standard normal CDF:

        approximate="none":  0.5 x (1 + erf(x / sqrt(2)))
        approximate="tanh":  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    """
    require_float("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ConfigError(f"gelu: invalid approximate value: {approximate!r} (expected one of "
                          "'none', 'tanh')")
    return fused_gelu(input, approximate)  # one node: minidl/ops/gelu.py


def gelu_composed(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU made of primitives: the twin that ``tests/test_sequence_fused_twins.py`` compares
    the fused ``minidl/ops/gelu.py`` (what ``gelu`` runs) with."""
    if approximate == "none":
        return input * 0.5 * (1 + erf(input * (1 / math.sqrt(2))))
    inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
    return input * 0.5 * (1 + tanh(inner))
