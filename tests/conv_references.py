"""Reference implementations for the convolution family's op-table rows
(``tests/op_rows_conv.py``): convolution and its transpose, pooling, adaptive pooling,
unpooling, interpolation, pixel shuffle, fold and unfold.

Direct loops, one output (or one input) element at a time, written from the definitions and
not from minidl's code; slow, and meant for the rows' tiny shapes.
"""
from __future__ import annotations

import math

import numpy as np


def conv_ref(x, w, b, stride, padding, dilation, groups):
    """y[n, o, h, v] = b[o] + sum over c, i, j of w[o, c, i, j] * x_pad[n, g*Cg + c, s*h + d*i,
    s*v + d*j], for (N, C, H, W) x and (O, C/g, kh, kw) w."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    ho = (xpad.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xpad.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], o, ho, wo))
    for n, out, h, v in np.ndindex(y.shape):
        g = out // (o // groups)
        for c, i, j in np.ndindex(cg, kh, kw):
            y[n, out, h, v] += w[out, c, i, j] * xpad[n, g * cg + c, sh * h + dh * i,
                                                      sw * v + dw * j]
        y[n, out, h, v] += 0.0 if b is None else b[out]
    return y


def conv_transpose_ref(x, w, b, stride, padding, output_padding, dilation, groups):
    """Each input element spreads w[c, o] times itself: y[n, g*Og + o, s*h + d*i - p,
    s*v + d*j - p] += x[n, c, h, v] * w[c, o, i, j] (c in group g), for a 4-D x."""
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    cin, og, kh, kw = w.shape
    n, _, height, width = x.shape
    size = ((height - 1) * sh - 2 * ph + dh * (kh - 1) + 1 + oh,
            (width - 1) * sw - 2 * pw + dw * (kw - 1) + 1 + ow)
    y = np.zeros((n, og * groups) + size)
    for m, c, h, v, o, i, j in np.ndindex(n, cin, height, width, og, kh, kw):
        r, q = sh * h + dh * i - ph, sw * v + dw * j - pw
        if 0 <= r < size[0] and 0 <= q < size[1]:
            y[m, c // (cin // groups) * og + o, r, q] += x[m, c, h, v] * w[c, o, i, j]
    return y if b is None else y + b.reshape(-1, 1, 1)


def _pool_rows(n, k, s, p, d, ceil_mode):
    """Per output position along one dimension: the window's input positions (padding
    included, as positions outside [0, n)) and PyTorch's padded-window size."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    starts = [t * s - p for t in range(out)]
    return [[a + d * i for i in range(k)] for a in starts], [
        min(a + k, n + p) - a for a in starts]


def pool_ref(x, kind, kernel, stride, padding, dilation=(1, 1), ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    """max or avg pooling of a 4-D x, one window at a time, with PyTorch's conventions."""
    spans = [_pool_rows(x.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a],
                        ceil_mode) for a in range(2)]
    (rows, row_sizes), (cols, col_sizes) = spans
    y = np.zeros(x.shape[:2] + (len(rows), len(cols)))
    for h, v in np.ndindex(y.shape[2:]):
        r = [i for i in rows[h] if 0 <= i < x.shape[2]]
        c = [j for j in cols[v] if 0 <= j < x.shape[3]]
        window = x[:, :, r][:, :, :, c]
        if kind == "max":
            y[:, :, h, v] = window.max(axis=(2, 3))
        else:
            divisor = (divisor_override or (row_sizes[h] * col_sizes[v] if count_include_pad
                                            else len(r) * len(c)))
            y[:, :, h, v] = window.sum(axis=(2, 3)) / divisor
    return y


def adaptive_ref(x, out_size, reduce):
    """PyTorch's adaptive windows: rows floor(a*H/Ho) to ceil((a+1)*H/Ho) - 1 (last 2 dims)."""
    (height, width), (oh, ow) = x.shape[-2:], out_size
    y = np.zeros(x.shape[:-2] + (oh, ow))
    for a, b in np.ndindex(oh, ow):
        window = x[..., a * height // oh:-(-(a + 1) * height // oh),
                   b * width // ow:-(-(b + 1) * width // ow)]
        y[..., a, b] = reduce(window, axis=(-2, -1))
    return y


def unpool_ref(x, indices, size):
    y = np.zeros(x.shape[:2] + (size[0] * size[1],))
    for n, c, h, v in np.ndindex(x.shape):
        y[n, c, indices[n, c, h, v]] += x[n, c, h, v]
    return y.reshape(x.shape[:2] + tuple(size))


def _source(t, n_in, n_out, scale, mode, align_corners):
    """Where output position t reads from along one dimension (nearest: an index; linear:
    (low, high, weight of high))."""
    if mode == "nearest":
        return min(int(math.floor(t * scale)), n_in - 1)
    if align_corners:
        src = t * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        src = max((t + 0.5) * scale - 0.5, 0.0)
    low = min(int(math.floor(src)), n_in - 1)
    return low, min(low + 1, n_in - 1), src - low


def interpolate_ref(x, size, scale_factor, mode, align_corners):
    dims = x.ndim - 2
    if size is not None:
        sizes = (size,) * dims if isinstance(size, int) else tuple(size)
        scales = [n / s for n, s in zip(x.shape[2:], sizes)]
    else:
        sizes = tuple(int(math.floor(n * scale_factor)) for n in x.shape[2:])
        scales = [1 / scale_factor] * dims
    y = np.zeros(x.shape[:2] + sizes)
    for out in np.ndindex(sizes):
        sources = [_source(t, n, m, s, mode, align_corners)
                   for t, n, m, s in zip(out, x.shape[2:], sizes, scales)]
        if mode == "nearest":
            y[(...,) + out] = x[(...,) + tuple(sources)]
            continue
        for corner in np.ndindex((2,) * dims):  # each corner weighs prod of 1 - t or t
            weight = math.prod(t if bit else 1 - t for bit, (_, _, t) in zip(corner, sources))
            at = tuple(hi if bit else lo for bit, (lo, hi, _) in zip(corner, sources))
            y[(...,) + out] += weight * x[(...,) + at]
    return y


def pixel_shuffle_ref(x, upscale_factor):
    r = upscale_factor
    n, c, height, width = x.shape
    y = np.zeros((n, c // (r * r), height * r, width * r))
    for m, ch, h, v in np.ndindex(x.shape):
        y[m, ch // (r * r), h * r + ch % (r * r) // r, v * r + ch % r] = x[m, ch, h, v]
    return y


def unfold_ref(x, kernel_size, dilation, padding, stride):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (xpad.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xpad.shape[3] - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((x.shape[0], x.shape[1] * kh * kw, ho * wo))
    for n, c, i, j, h, v in np.ndindex(x.shape[0], x.shape[1], kh, kw, ho, wo):
        cols[n, (c * kh + i) * kw + j, h * wo + v] = xpad[n, c, sh * h + dh * i, sw * v + dw * j]
    return cols


def fold_ref(cols, output_size, kernel_size, dilation, padding, stride):
    """The adjoint of unfold: fold(c) . x = c . unfold(x), built one basis vector at a time."""
    n = cols.shape[0]
    c = cols.shape[1] // (kernel_size[0] * kernel_size[1])
    y = np.zeros((n, c) + tuple(output_size))
    for index in np.ndindex(y.shape):
        basis = np.zeros(y.shape)
        basis[index] = 1.0
        y[index] = (cols * unfold_ref(basis, kernel_size, dilation, padding, stride)).sum()
    return y
