"""Op-table rows of issue 17's convolution family: Conv1d, transposed
convolutions, pooling options, interpolation, pixel shuffle, fold and unfold

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed.

The references (``tests/conv_references.py``) are direct loops, one output (or one input)
element at a time, written from the definitions and not from minidl's code. Shapes stay tiny
(batch and channels <= 2, sides <= 5, inputs of at most ~24 elements): gradgradcheck costs a
pass per element.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from conv_references import (
    adaptive_ref,
    conv_ref,
    conv_transpose_ref,
    fold_ref,
    interpolate_ref,
    pixel_shuffle_ref,
    pool_ref,
    unfold_ref,
    unpool_ref,
)
from hypothesis import strategies as st
from op_cases import Case, distinct, values
from op_row import Op

import minidl
import minidl.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = TF = None

TIES = "distinct values at least 0.1 apart, so each window's maximum is unique"
LINEAR = "linear in every input: no kinks"


# ------------------------------------------------------------------ case strategies
def _tiny(shape, limit: int = 24) -> bool:
    return math.prod(shape) <= limit


@st.composite
def conv_cases(draw, dims: int, transposed: bool = False, same: bool = False):
    """x, weight and maybe bias of a (transposed) convolution with 1 or 2 spatial dims."""
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2 if groups == 1 else 1)), groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = (1,) * dims if same else tuple(draw(st.integers(1, 2)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(dims))
    sizes = []
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        low = 1 if transposed or same else max(1, d * (k - 1) + 1 - 2 * p)
        if transposed:  # the output must not be empty: (n-1)s - 2p + d(k-1) + 1 >= 1
            low = max(low, -(-(2 * p - d * (k - 1)) // s) + 1)
        sizes.append(draw(st.integers(low, low + (2 if dims == 1 else 1))))
    shape = (draw(st.integers(1, 2)), cin, *sizes)
    w_shape = ((cin, cout // groups) if transposed else (cout, cin // groups)) + kernel
    arrays = [draw(values(shape)), draw(values(w_shape))]
    if draw(st.booleans()):
        arrays.append(draw(values((cout,))))
    params = dict(stride=stride, padding="same" if same else padding, dilation=dilation,
                  groups=groups)
    if transposed:
        params["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
    return Case(tuple(arrays), params)


@st.composite
def pool_cases(draw, dims: int, kind: str):
    """A max or avg pooling input (distinct values for max) and its window options."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    # dilation only without padding: a dilated window could then hold padding alone
    dilation = tuple(draw(st.integers(1, 2 if p == 0 else 1)) for p in padding) \
        if kind == "max" else None
    spans = [(d or 1) * (k - 1) + 1 for k, d in zip(kernel, dilation or (1,) * dims)]
    sizes = [draw(st.integers(max(1, span - 2 * p), max(1, span - 2 * p) + 2))
             for span, p in zip(spans, padding)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes)
    if not _tiny(shape):
        shape = (1, 1, *sizes)
    x = draw(distinct(shape) if kind == "max" else values(shape))
    params = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=draw(st.booleans()))
    if kind == "max":
        params["dilation"] = dilation
    else:
        params["count_include_pad"] = draw(st.booleans())
        if dims == 2:
            params["divisor_override"] = draw(st.sampled_from([None, 3]))
    return Case((x,), params)


@st.composite
def adaptive_cases(draw, dims: int, kind: str):
    sizes = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes)
    shape = shape if _tiny(shape) else (1, 1, *sizes)
    out = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    x = draw(distinct(shape) if kind == "max" else values(shape))
    return Case((x,), {"output_size": out if dims == 2 else out[0]})


@st.composite
def unpool_cases(draw):
    """An input, and distinct indices into an output of the default size (or one row/column
    more, given as output_size)."""
    kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             draw(st.integers(1, 3)))
    default = [(n - 1) * stride + kernel for n in shape[2:]]
    size = [n + draw(st.integers(0, stride - 1)) for n in default]
    plane = math.prod(shape[2:])  # (at most the output's size: each window adds a position)
    indices = np.stack([np.array(draw(st.permutations(range(size[0] * size[1]))))[:plane]
                        for _ in range(shape[0] * shape[1])]).reshape(shape)
    output_size = None if size == default else tuple(size)
    return Case((draw(values(shape)),), dict(indices=indices, kernel_size=kernel,
                                             stride=stride, output_size=output_size))


@st.composite
def interpolate_cases(draw):
    mode, align_corners = draw(st.sampled_from([("nearest", None), ("linear", False),
                                                ("linear", True), ("bilinear", False),
                                                ("bilinear", True)]))
    dims = 1 if mode == "linear" else draw(st.integers(1, 2)) if mode == "nearest" else 2
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes)
    if draw(st.booleans()):
        size, scale = tuple(draw(st.integers(1, 5)) for _ in range(dims)), None
    else:
        size, scale = None, draw(st.sampled_from([0.5, 1.5, 2.0, 2.5]))
        if min(math.floor(n * scale) for n in sizes) < 1:
            size, scale = sizes, None
    return Case((draw(values(shape)),), dict(size=size, scale_factor=scale, mode=mode,
                                             align_corners=align_corners))


@st.composite
def shuffle_cases(draw):
    r = draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2 if r == 1 else 1)), r * r * draw(st.integers(1, 2)),
             draw(st.integers(1, 2)), draw(st.integers(1, 3 if r == 1 else 2)))
    return Case((draw(values(shape)),), {"upscale_factor": r})


@st.composite
def fold_cases(draw, fold: bool):
    """unfold's input, or fold's columns (one channel: a column holds kh*kw values)."""
    kernel = (draw(st.integers(1, 2)), draw(st.integers(1, 2 if fold else 3)))
    dilation = (draw(st.integers(1, 2)), 1)
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 1))
                 for k, d, p in zip(kernel, dilation, padding))
    shape = (1, 1 if fold else draw(st.integers(1, 2))) + size
    params = dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    if fold:
        cols_shape = unfold_ref(np.zeros(shape), kernel, dilation, padding, stride).shape
        return Case((draw(values(cols_shape)),), dict(output_size=size, **params))
    return Case((draw(values(shape)),), params)


# ------------------------------------------------------------------ the rows
def _split(x, w, *bias):
    return x, w, (bias[0] if bias else None)


def _conv1d_ref(x, w, *bias, stride, padding, dilation, groups):
    x, w, b = _split(x, w, *bias)
    if padding == "same":
        total = dilation[0] * (w.shape[-1] - 1)
        x = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2)))
        padding = (0,)
    return conv_ref(x[:, :, None], w[:, :, None], b, (1,) + stride, (0,) + padding,
                    (1,) + dilation, groups)[:, :, 0]


def _conv2d_same_ref(x, w, *bias, stride, padding, dilation, groups):
    x, w, b = _split(x, w, *bias)
    totals = [d * (k - 1) for k, d in zip(w.shape[2:], dilation)]
    x = np.pad(x, ((0, 0), (0, 0)) + tuple((t // 2, t - t // 2) for t in totals))
    return conv_ref(x, w, b, stride, (0, 0), dilation, groups)


def _conv_transpose2d_ref(x, w, *bias, stride, padding, output_padding, dilation, groups):
    return conv_transpose_ref(*_split(x, w, *bias), stride, padding, output_padding, dilation,
                              groups)


def _conv_transpose1d_ref(x, w, *bias, stride, padding, output_padding, dilation, groups):
    x, w, b = _split(x, w, *bias)
    return conv_transpose_ref(x[:, :, None], w[:, :, None], b, (1,) + stride, (0,) + padding,
                              (0,) + output_padding, (1,) + dilation, groups)[:, :, 0]


def _pool1d_ref(kind):
    def ref(x, kernel_size, stride, padding, ceil_mode, dilation=(1,), count_include_pad=True):
        return pool_ref(x[:, :, None], kind, (1,) + kernel_size, (1,) + stride, (0,) + padding,
                        (1,) + dilation, ceil_mode, count_include_pad)[:, :, 0]
    return ref


def _max_pool2d_ref(x, kernel_size, stride, padding, dilation, ceil_mode):
    return pool_ref(x, "max", kernel_size, stride, padding, dilation, ceil_mode)


def _avg_pool2d_ref(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                    divisor_override):
    return pool_ref(x, "avg", kernel_size, stride, padding, (1, 1), ceil_mode,
                    count_include_pad, divisor_override)


def _unpool_fn(x, indices, kernel_size, stride, output_size):
    return F.max_unpool2d(x, minidl.tensor(indices, device=x.device), kernel_size, stride,
                          output_size=output_size)


def _unpool_ref(x, indices, kernel_size, stride, output_size):
    size = output_size or tuple((n - 1) * stride + kernel_size for n in x.shape[2:])
    return unpool_ref(x, indices, size)


ROWS: List[Op] = [
    Op("conv1d", lambda x, w, *b, **p: F.conv1d(x, w, *b, **p), _conv1d_ref,
       conv_cases(1), domain="(N, C, L), weight (O, C/g, k), maybe a bias; stride, padding, "
       "dilation, groups 1..2", kinks="bilinear in (x, w): no kinks"),
    Op("conv1d_same", lambda x, w, *b, **p: F.conv1d(x, w, *b, **p), _conv1d_ref,
       conv_cases(1, same=True), domain="padding='same' (odd totals pad the right more)",
       kinks="bilinear in (x, w): no kinks"),
    Op("conv2d_same", lambda x, w, *b, **p: F.conv2d(x, w, *b, **p), _conv2d_same_ref,
       conv_cases(2, same=True), domain="conv2d with padding='same', dilation 1..2",
       kinks="bilinear in (x, w): no kinks"),
    Op("conv_transpose1d", lambda x, w, *b, **p: F.conv_transpose1d(x, w, *b, **p),
       _conv_transpose1d_ref, conv_cases(1, transposed=True),
       domain="(N, C_in, L), weight (C_in, C_out/g, k); output_padding < stride",
       kinks="bilinear in (x, w): no kinks"),
    Op("conv_transpose2d", lambda x, w, *b, **p: F.conv_transpose2d(x, w, *b, **p),
       _conv_transpose2d_ref, conv_cases(2, transposed=True),
       domain="(N, C_in, H, W), weight (C_in, C_out/g, kh, kw); output_padding < stride",
       kinks="bilinear in (x, w): no kinks"),
    Op("max_pool1d", lambda x, **p: F.max_pool1d(x, **p), _pool1d_ref("max"),
       pool_cases(1, "max"), domain="kernel 1..3, stride 1..2, padding <= k/2, dilation, "
       "ceil_mode", kinks=TIES),
    Op("max_pool2d_options", lambda x, **p: F.max_pool2d(x, **p), _max_pool2d_ref,
       pool_cases(2, "max"), domain="max_pool2d with ceil_mode True or False", kinks=TIES),
    Op("avg_pool1d", lambda x, **p: F.avg_pool1d(x, **p), _pool1d_ref("avg"),
       pool_cases(1, "avg"), domain="ceil_mode, count_include_pad", kinks=LINEAR),
    Op("avg_pool2d_options", lambda x, **p: F.avg_pool2d(x, **p), _avg_pool2d_ref,
       pool_cases(2, "avg"), domain="ceil_mode, count_include_pad, divisor_override",
       kinks=LINEAR),
    Op("adaptive_max_pool2d", lambda x, output_size: F.adaptive_max_pool2d(x, output_size),
       lambda x, output_size: adaptive_ref(x, output_size, np.max), adaptive_cases(2, "max"),
       domain="sides 1..5 to 1..4 (windows may overlap)", kinks=TIES),
    Op("adaptive_max_pool1d", lambda x, output_size: F.adaptive_max_pool1d(x, output_size),
       lambda x, output_size: adaptive_ref(x[:, :, None], (1, output_size), np.max)[:, :, 0],
       adaptive_cases(1, "max"), domain="length 1..5 to 1..4", kinks=TIES),
    Op("adaptive_avg_pool1d", lambda x, output_size: F.adaptive_avg_pool1d(x, output_size),
       lambda x, output_size: adaptive_ref(x[:, :, None], (1, output_size), np.mean)[:, :, 0],
       adaptive_cases(1, "avg"), domain="length 1..5 to 1..4", kinks=LINEAR),
    Op("max_unpool2d", _unpool_fn, _unpool_ref, unpool_cases(),
       domain="distinct indices into the default output size or a given output_size",
       kinks=LINEAR),
    Op("interpolate", lambda x, **p: F.interpolate(x, **p), interpolate_ref,
       interpolate_cases(), domain="nearest (3-D, 4-D), linear, bilinear (align_corners "
       "True/False); a size or a scale_factor", kinks=LINEAR),
    Op("pixel_shuffle", lambda x, upscale_factor: F.pixel_shuffle(x, upscale_factor),
       pixel_shuffle_ref, shuffle_cases(), domain="r = 1..2", kinks=LINEAR),
    Op("pixel_unshuffle", lambda x, upscale_factor: F.pixel_unshuffle(
        F.pixel_shuffle(x, upscale_factor), upscale_factor), lambda x, upscale_factor: x,
       shuffle_cases(), domain="pixel_unshuffle(pixel_shuffle(x)) = x", kinks=LINEAR),
    Op("unfold_im2col", lambda x, **p: F.unfold(x, **p), unfold_ref, fold_cases(False),
       domain="kernel, dilation, padding, stride 1..3", kinks=LINEAR),
    Op("fold_col2im", lambda c, **p: F.fold(c, **p), fold_ref, fold_cases(True),
       domain="columns of unfold's shape, folded back (overlaps add)", kinks=LINEAR),
]


def _unpool_torch(x, indices, kernel_size, stride, output_size):
    return TF.max_unpool2d(x, torch.tensor(indices), kernel_size, stride,
                           output_size=output_size)


TORCH: Dict[str, Callable] = {
    "conv1d": lambda x, w, *b, **p: TF.conv1d(x, w, *b, **p),
    "conv1d_same": lambda x, w, *b, **p: TF.conv1d(x, w, *b, **p),
    "conv2d_same": lambda x, w, *b, **p: TF.conv2d(x, w, *b, **p),
    "conv_transpose1d": lambda x, w, *b, **p: TF.conv_transpose1d(x, w, *b, **p),
    "conv_transpose2d": lambda x, w, *b, **p: TF.conv_transpose2d(x, w, *b, **p),
    "max_pool1d": lambda x, **p: TF.max_pool1d(x, **p),
    "max_pool2d_options": lambda x, **p: TF.max_pool2d(x, **p),
    "avg_pool1d": lambda x, **p: TF.avg_pool1d(x, **p),
    "avg_pool2d_options": lambda x, **p: TF.avg_pool2d(x, **p),
    "adaptive_max_pool2d": lambda x, output_size: TF.adaptive_max_pool2d(x, output_size),
    "adaptive_max_pool1d": lambda x, output_size: TF.adaptive_max_pool1d(x, output_size),
    "adaptive_avg_pool1d": lambda x, output_size: TF.adaptive_avg_pool1d(x, output_size),
    "max_unpool2d": _unpool_torch,
    "interpolate": lambda x, **p: TF.interpolate(x, **p),
    "pixel_shuffle": lambda x, upscale_factor: TF.pixel_shuffle(x, upscale_factor),
    "pixel_unshuffle": lambda x, upscale_factor: TF.pixel_unshuffle(
        TF.pixel_shuffle(x, upscale_factor), upscale_factor),
    "unfold_im2col": lambda x, **p: TF.unfold(x, **p),
    "fold_col2im": lambda c, **p: TF.fold(c, **p),
}
