"""Dropout as functions: ``dropout`` (each element), ``dropout1d``/``2d``/``3d`` (whole
channels) and ``alpha_dropout`` (for SELU networks). ``minidl.nn.functional`` re-exports them.

In training each draws a keep-mask m ~ Bernoulli(1 - p) from minidl's generator for the
input's device (so ``minidl.manual_seed`` repeats it; float32 draws for every dtype, so a seed
gives the same mask in float32 and float64), then

* dropout, dropout1d/2d/3d        y = x * m / (1 - p)     ("inverted": E[y] = x, so eval is
                                  the identity). The channel versions draw one m per
                                  (sample, channel) and broadcast it over the positions:
                                  neighbouring pixels are correlated, so dropping single
                                  ones barely regularizes a convolution.
* alpha_dropout                   y = a (m x + (1 - m) alpha' + alpha' p) with
                                  alpha' = SELU's scale * alpha = 1.7581,
                                  a = ((1 - p)(1 + p alpha'^2))^(-1/2): dropped units go to
                                  SELU's negative saturation -alpha', and a, the shift keep
                                  mean 0 and variance 1 for inputs of mean 0 and variance 1.

The mask is a constant: gx = gy * m / (1 - p) (alpha: gy * m * a). p must be in [0, 1): unlike
PyTorch, p = 1 (drop everything) is refused.

Read next: ``minidl/nn/layers/conv.py`` (Conv2d).
"""
from __future__ import annotations

import math

import numpy as np

from minidl.config_checks import ConfigTypeError, is_real
from minidl.creation import rand
from minidl.errors import ConfigError, ShapeError
from minidl.nn.activation_functional import SELU_ALPHA, SELU_SCALE, constant_like
from minidl.ops.dtype_checks import require_float
from minidl.tensor import Tensor


def check_dropout_p(p, name: str = "dropout") -> None:
    if not is_real(p):  # (a string or a bool)
        raise ConfigTypeError(f"{name}: probability p must be a real number in [0, 1), got "
                              f"p={p!r} ({type(p).__name__})")
    if not 0 <= p < 1:  # (NaN fails it too)
        raise ConfigError(f"{name}: probability p must be in [0, 1), got p={p!r} (minidl "
                          "refuses p = 1, which would zero every input, unlike PyTorch)")


def _keep_mask(input: Tensor, shape: tuple, p: float):
    """A bool array of ``shape``, True with probability 1 - p."""
    return rand(shape, dtype=np.float32, device=input.device)._array >= p


def _scaled_mask(input: Tensor, p: float, shape: tuple) -> Tensor:
    """input * m / (1 - p), m drawn with ``shape`` (broadcast over input's shape)."""
    return input * constant_like(_keep_mask(input, shape, p) / (1 - p), input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Inverted dropout of each element: in training, y = x * m / (1 - p); the identity when
    ``training`` is False or p = 0. ``inplace`` is accepted for PyTorch compatibility; the
    result is always a new tensor."""
    check_dropout_p(p)
    require_float("dropout", input)
    if not training or p == 0:
        return input
    return _scaled_mask(input, p, input.shape)


def _channel_dropout(op: str, input: Tensor, p: float, training: bool, ranks: tuple,
                     shapes: str) -> Tensor:
    """Drop whole channels: one mask value per (sample, channel), the same over positions.
    ``ranks`` = (batched rank, unbatched rank); an unbatched input's channels are dim 0."""
    check_dropout_p(p, op)
    if not isinstance(input, Tensor) or input.ndim not in ranks:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"{op}: expected an input of shape {shapes}, got {got}")
    require_float(op, input)
    if not training or p == 0:
        return input
    channel_dims = 2 if input.ndim == ranks[0] else 1  # (N, C) or (C,)
    shape = tuple(input.shape[:channel_dims]) + (1,) * (input.ndim - channel_dims)
    return _scaled_mask(input, p, shape)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) (or one (C, L)) with probability p, scale the rest by
    1 / (1 - p)."""
    return _channel_dropout("dropout1d", input, p, training, (3, 2), "(N, C, L) or (C, L)")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) (or one (C, H, W)) with probability p, scale the
    rest by 1 / (1 - p). A 3-D input is one image (C, H, W), as PyTorch documents and its
    warning announces; PyTorch today still drops per (N, C) of a 3-D input (dropout1d's
    rule), with that warning. Other ranks, which PyTorch deprecates, are refused."""
    return _channel_dropout("dropout2d", input, p, training, (4, 3),
                            "(N, C, H, W) or (C, H, W)")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) (or one (C, D, H, W)) with probability p, scale
    the rest by 1 / (1 - p)."""
    return _channel_dropout("dropout3d", input, p, training, (5, 4),
                            "(N, C, D, H, W) or (C, D, H, W)")


# SELU's negative saturation, -alpha': where alpha dropout sends the dropped units
ALPHA_PRIME = SELU_ALPHA * SELU_SCALE


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout (the module docstring): keeps a SELU network's activations at mean 0
    and variance 1. ``training`` defaults to False, as in PyTorch's function."""
    check_dropout_p(p, "alpha_dropout")
    require_float("alpha_dropout", input)
    if not training or p == 0:
        return input
    a = 1 / math.sqrt((1 - p) * (1 + p * ALPHA_PRIME ** 2))
    keep = _keep_mask(input, input.shape, p)
    shift = (keep - 1.0) * (ALPHA_PRIME * a) + ALPHA_PRIME * a * p
    return input * constant_like(keep * a, input) + constant_like(shift, input)
