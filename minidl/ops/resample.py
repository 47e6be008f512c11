"""Resampling: ``interpolate`` (nearest, linear, bilinear) and ``pixel_shuffle`` /
``pixel_unshuffle``, all composed from ops that already have their gradients.

* nearest: output position t reads input position floor(t * scale), scale = n_in / n_out (or
  1 / scale_factor when that is given, as PyTorch) -- integer indexing, so the gradient adds
  each output's gradient back onto the element it copied.
* (bi)linear: each output is a weighted mean of the two nearest inputs along each dimension:
  y = A_h @ x @ A_w^T with a constant (n_out, n_in) matrix per dimension whose row t holds
  1 - l and l at columns floor(src) and floor(src) + 1, where src is t's position in the input:
      align_corners=True:   src = t * (n_in - 1) / (n_out - 1)  (the corner pixels' centres
                            line up)
      align_corners=False:  src = max((t + 0.5) * scale - 0.5, 0)  (the pixels' edges line up)
  Linear in x, so the gradient is A_h^T @ gy @ A_w (matmul's own backward).
* pixel_shuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r) moves each group of r*r channels into an
  r x r block of pixels: a reshape, a permute and a reshape; pixel_unshuffle undoes it.

Read next: ``fold.py`` (unfold, fold: im2col and col2im as public ops).
"""
from __future__ import annotations

import math

import numpy as np

from minidl import backend
from minidl.errors import ShapeError
from minidl.ops.dtype_checks import require_float
from minidl.ops.shape import permute, reshape
from minidl.tensor import Tensor

MODES = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}


def _nearest_indices(n_in: int, n_out: int, scale: float):
    return np.minimum(np.floor(np.arange(n_out) * scale).astype(np.int64), n_in - 1)


def _linear_matrix(n_in: int, n_out: int, scale: float, align_corners: bool, like: Tensor):
    """The (n_out, n_in) matrix of linear interpolation weights (see the module docstring)."""
    t = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = t * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((t + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    weight = src - low
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (np.arange(n_out), low), 1 - weight)
    np.add.at(matrix, (np.arange(n_out), high), weight)
    return Tensor._make(backend.asarray(matrix, like.dtype, like.device), False)


def _sizes_and_scales(op: str, x: Tensor, size, scale_factor, recompute_scale_factor):
    """Output sizes and the input-per-output scales of the last (x.ndim - 2) dimensions."""
    dims = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    in_sizes = x.shape[2:]
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims or any(not isinstance(s, int) or s <= 0 for s in sizes):
            raise ValueError(f"{op}: size must be {dims} positive int(s) for an input of shape "
                             f"{tuple(x.shape)}, got {size!r}")
        return sizes, tuple(n / s for n, s in zip(in_sizes, sizes))
    factors = (tuple(scale_factor) if isinstance(scale_factor, (tuple, list))
               else (scale_factor,) * dims)
    if len(factors) != dims or any(not isinstance(f, (int, float)) or f <= 0 for f in factors):
        raise ValueError(f"{op}: scale_factor must be {dims} positive number(s) for an input of "
                         f"shape {tuple(x.shape)}, got {scale_factor!r}")
    sizes = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, factors))
    if min(sizes) < 1:
        raise ShapeError(f"{op}: scale_factor {scale_factor!r} makes the input of shape "
                         f"{tuple(x.shape)} empty")
    if recompute_scale_factor:
        return sizes, tuple(n / s for n, s in zip(in_sizes, sizes))
    return sizes, tuple(1 / f for f in factors)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``: mode "nearest"
    (3-D, 4-D), "linear" (3-D) or "bilinear" (4-D), PyTorch's coordinate conventions."""
    op = "interpolate"
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {sorted(MODES)}, got {mode!r}")
    if not isinstance(input, Tensor) or input.ndim not in MODES[mode]:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"{op}: mode {mode!r} takes a {' or '.join(map(str, MODES[mode]))}-D "
                         f"input, got {shape}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners can only be set with the interpolating modes "
                         f"(linear, bilinear), not {mode!r}")
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported")
    require_float(op, input)
    sizes, scales = _sizes_and_scales(op, input, size, scale_factor, recompute_scale_factor)
    y = input
    if mode == "nearest":
        columns = _nearest_indices(input.shape[-1], sizes[-1], scales[-1])
        y = y[..., columns]
        if input.ndim == 4:
            rows = _nearest_indices(input.shape[-2], sizes[0], scales[0])
            y = y[..., rows, :]
        return y
    y = y @ _linear_matrix(input.shape[-1], sizes[-1], scales[-1], bool(align_corners),
                           input).T
    if input.ndim == 4:
        y = _linear_matrix(input.shape[-2], sizes[0], scales[0], bool(align_corners),
                           input) @ y
    return y


def _factor(op: str, name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return value


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channel c*r*r + i*r + j goes to pixel (i, j) of
    each r x r block."""
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: expected an input (*, C, H, W) with C divisible by "
                         f"upscale_factor**2 = {r * r}, got shape {tuple(input.shape)}")
    *lead, c, height, width = input.shape
    k = len(lead)
    y = reshape(input, (*lead, c // (r * r), r, r, height, width))
    y = permute(y, *range(k), k, k + 3, k + 1, k + 4, k + 2)
    return reshape(y, (*lead, c // (r * r), height * r, width * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of ``pixel_shuffle``."""
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ShapeError(f"pixel_unshuffle: expected an input (*, C, H, W) with H and W "
                         f"divisible by downscale_factor {r}, got shape {tuple(input.shape)}")
    *lead, c, height, width = input.shape
    k = len(lead)
    y = reshape(input, (*lead, c, height // r, r, width // r, r))
    y = permute(y, *range(k), k, k + 2, k + 4, k + 1, k + 3)
    return reshape(y, (*lead, c * r * r, height // r, width // r))
