"""Pooling: max_pool2d, avg_pool2d and adaptive_avg_pool2d over (N, C, H, W) tensors.

Pooling slides a window over each channel, like a convolution without weights, so it reuses
``Window`` from ``conv.py``. Both kinds loop over the kh*kw kernel offsets; each step handles
the element at that offset of *every* window at once, as one strided slice of the padded input.

* max: y = the largest element of each window. The forward remembers, per window, the offset of
  that element (the argmax: the first one on ties, as PyTorch) so the backward never re-scans.
  Its gradient is a scatter of gy to those positions (``MaxPoolScatter``); the scatter's own
  gradient gathers from them (``MaxPoolGather``), and vice versa: twice differentiable.
* average: y = the mean of each window (zero padding counted, PyTorch's count_include_pad=True);
  its gradient spreads gy / (kh*kw) over each window (``AvgPoolSpread``), whose gradient is the
  average pool again.
* options: ceil_mode pads the bottom/right so that the last, partial windows count;
  count_include_pad=False and divisor_override rescale the average by a constant per output
  position; return_indices turns each argmax into its flat position in the (H, W) plane.
  Integer inputs are max-pooled without a Function (integers have no gradient).
* adaptive average: composed from matmul with constant averaging matrices (any output size).

Read next: ``pool_indices.py`` (adaptive max pooling and max_unpool2d).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.errors import ShapeError
from minidl.function import Function
from minidl.ops.conv import Window, check_fits, make_window, pad_window, pair
from minidl.ops.dtype_checks import require_float
from minidl.ops.shape import pad, squeeze, unsqueeze
from minidl.tensor import Tensor


def _windows_overlap(window: Window) -> bool:
    """Can two windows share an input element (so that scattered gradients must add up)?"""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(window.kernel, window.stride,
                                                       window.dilation))


def _memory_order(a) -> list:
    """The axes of ``a`` from the slowest-varying in memory to the fastest."""
    return sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis]))


def _tiles_exactly(window: Window, in_size, out_size) -> bool:
    """Do the windows cover every input element exactly once (kernel = stride, no padding or
    dilation, no leftover rows or columns)?"""
    return (window.kernel == window.stride and window.padding == (0, 0)
            and window.dilation == (1, 1)
            and all(o * k == n for o, k, n in zip(out_size, window.kernel, in_size)))


def window_max(x, window: Window):
    """The maximum of each window of the array x and, per window, the offset i*kw + j of its
    first maximum (the argmax: the first one on ties, as PyTorch). Padding never wins: it is
    -inf, or the smallest value of an integer dtype."""
    xp = backend.get_array_module(x)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    padded = pad_window(x, window, value=low)
    kh, kw = window.kernel
    y, argmax = None, None
    for offset, (_i, _j, (rows, columns)) in enumerate(
            window.offsets(window.out_size(*x.shape[-2:]))):
        candidate = padded[..., rows, columns]
        if y is None:  # (copies keep x's memory order: conv2d's outputs are batch-last)
            y = xp.copy(candidate)
            argmax = xp.zeros_like(y, dtype=np.int8 if kh * kw <= 127 else np.int32)
            continue
        better = candidate > y  # strictly: the first maximum wins ties
        xp.maximum(y, candidate, out=y)  # (a NaN propagates, as in PyTorch)
        # argmax = where(better, offset, argmax), as arithmetic: NumPy's masked selects
        # are slow on a data-dependent mask like this one.
        argmax += better * (offset - argmax)
    return y, argmax


class MaxPool(Function):
    """y = max of each window;  gx = gy at each window's argmax (MaxPoolScatter)"""

    @staticmethod
    def forward(ctx, x, window):
        y, argmax = window_max(x, window)
        ctx.window, ctx.in_shape = window, x.shape
        ctx.save_for_backward(argmax)
        return y

    @staticmethod
    def backward(ctx, gy):
        argmax, = ctx.saved_tensors
        return MaxPoolScatter.apply(gy, argmax, ctx.in_shape, ctx.window), None


class MaxPoolScatter(Function):
    """gx = zeros with each gy added at its window's argmax;  g_gy = ggx gathered there"""

    @staticmethod
    def forward(ctx, gy, argmax, in_shape, window):
        xp = backend.get_array_module(gy)
        n, c, height, width = in_shape
        ph, pw = window.padding
        zero = gy.dtype.type(0)
        if _memory_order(gy) != _memory_order(argmax):
            # One copy into argmax's layout first: reading the two across layouts in every
            # step of the loop below costs more than the copy (as for a pool whose gy comes
            # back from a fully connected layer in (N, C, H, W) order).
            gy_as_argmax = xp.empty_like(argmax, dtype=gy.dtype)
            gy_as_argmax[...] = gy
            gy = gy_as_argmax
        # Without overlap each element is in one window at most, so the gradient can be
        # written, not added, and written as (argmax == offset) * gy straight into gx, with
        # no where() temporary to assign. 0 * inf is NaN, so a gy with infinities or NaNs
        # takes the where() path.
        assign = not _windows_overlap(window) and bool(xp.isfinite(gy).all())
        # In the input's memory order, which argmax kept (batch-last after a convolution), so
        # the writes below run along memory, not across layouts. Windows that tile the input
        # exactly write every element: no zeros needed first.
        shape = (n, c, height + 2 * ph, width + 2 * pw)
        gx = (xp.empty_like if assign and _tiles_exactly(window, in_shape[2:], gy.shape[2:])
              else xp.zeros_like)(argmax, dtype=gy.dtype, shape=shape)
        for offset, (_i, _j, (rows, columns)) in enumerate(window.offsets(gy.shape[2:])):
            if assign:
                xp.multiply(argmax == offset, gy, out=gx[..., rows, columns])
            else:  # overlapping windows (an element may be the argmax of several: add), or
                gx[..., rows, columns] += xp.where(argmax == offset, gy, zero)  # non-finite gy
        ctx.window = window
        ctx.save_for_backward(argmax)
        return gx[:, :, ph:ph + height, pw:pw + width]

    @staticmethod
    def backward(ctx, ggx):
        argmax, = ctx.saved_tensors
        return MaxPoolGather.apply(ggx, argmax, ctx.window), None, None, None


class MaxPoolGather(Function):
    """y = x at each window's argmax (given, not searched);  gx = MaxPoolScatter(gy)"""

    @staticmethod
    def forward(ctx, x, argmax, window):
        xp = backend.get_array_module(x)
        padded = pad_window(x, window)
        y = xp.zeros(argmax.shape, dtype=x.dtype)
        zero = x.dtype.type(0)
        for offset, (_i, _j, (rows, columns)) in enumerate(window.offsets(argmax.shape[2:])):
            y += xp.where(argmax == offset, padded[..., rows, columns], zero)
        ctx.window, ctx.in_shape = window, x.shape
        ctx.save_for_backward(argmax)
        return y

    @staticmethod
    def backward(ctx, gy):
        argmax, = ctx.saved_tensors
        return MaxPoolScatter.apply(gy, argmax, ctx.in_shape, ctx.window), None, None


class AvgPool(Function):
    """y = mean of each window (padding counts as zeros);  gx = AvgPoolSpread(gy)"""

    @staticmethod
    def forward(ctx, x, window):
        out_size = window.out_size(*x.shape[2:])
        padded = pad_window(x, window)
        y = backend.get_array_module(x).zeros(x.shape[:2] + out_size, dtype=x.dtype)
        for _i, _j, (rows, columns) in window.offsets(out_size):
            y += padded[..., rows, columns]
        y /= window.kernel[0] * window.kernel[1]
        ctx.window, ctx.in_shape = window, x.shape
        return y

    @staticmethod
    def backward(ctx, gy):
        return AvgPoolSpread.apply(gy, ctx.in_shape, ctx.window), None


class AvgPoolSpread(Function):
    """gx = gy / (kh*kw) added to every element of its window;  g_gy = AvgPool(ggx)"""

    @staticmethod
    def forward(ctx, gy, in_shape, window):
        n, c, height, width = in_shape
        ph, pw = window.padding
        share = gy / (window.kernel[0] * window.kernel[1])
        gx = backend.get_array_module(gy).zeros((n, c, height + 2 * ph, width + 2 * pw),
                                                dtype=gy.dtype)
        for _i, _j, (rows, columns) in window.offsets(gy.shape[2:]):
            gx[..., rows, columns] += share
        ctx.window = window
        return gx[:, :, ph:ph + height, pw:pw + width]

    @staticmethod
    def backward(ctx, ggx):
        return AvgPool.apply(ggx, ctx.window), None, None


# ------------------------------------------------------------------------ public functions
def pool_window(op: str, kernel_size, stride=None, padding=0, dilation=1) -> Window:
    """Check pooling hyperparameters (stride defaults to the kernel size, as in PyTorch)."""
    window = make_window(op, kernel_size, kernel_size if stride is None else stride, padding,
                         dilation)
    if any(2 * p > k for p, k in zip(window.padding, window.kernel)):
        raise ValueError(f"{op}: padding {window.padding} must be at most half the kernel "
                         f"size {window.kernel}")
    return window


def check_pool_input(op: str, x: Tensor, integers: bool = False) -> None:
    """A 4-D (N, C, H, W) or unbatched 3-D (C, H, W) floating-point Tensor (or, where
    ``integers``, an integer one), or an error."""
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), "
                         f"got {shape}")
    if not (integers and x.dtype.kind in "iu"):
        require_float(op, x)


def pool2d_impl(op: str, function, x: Tensor, window: Window) -> Tensor:
    """Apply a pooling Function (MaxPool or AvgPool) to a checked input: shared by
    ``max_pool2d``, ``avg_pool2d`` and the pooling layers; ``op`` names the caller in errors."""
    check_pool_input(op, x)
    check_fits(op, x, window)
    if x.ndim == 3:
        return squeeze(function.apply(unsqueeze(x, 0), window), 0)
    return function.apply(x, window)


# --------------------------------------------------------------- ceil_mode, divisors, indices
def ceil_extra(window: Window, in_size) -> tuple:
    """ceil_mode=True: the rows and columns to add at the bottom/right so that the windows
    that round down drops are kept. PyTorch's output size is ceil((n + 2p - d(k-1) - 1)/s) + 1,
    less one if the last window would start in the right padding."""
    extra = []
    for n, k, s, p, d in zip(in_size, window.kernel, window.stride, window.padding,
                             window.dilation):
        out = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
        extra.append(max(0, (out - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))
    return tuple(extra)


def _pad_bottom_right(x: Tensor, extra, value) -> Tensor:
    return x if extra == (0, 0) else pad(x, (0, extra[1], 0, extra[0]), value=value)


def _divisors(window: Window, in_size, out_size, count_include_pad: bool):
    """PyTorch's average-pool divisor per output position, a product of one count per
    dimension: the window clipped to the padded input (count_include_pad) or to the input."""
    counts = []
    for n, o, k, s, p in zip(in_size, out_size, window.kernel, window.stride, window.padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return np.outer(*counts)


def argmax_indices(argmax, window: Window, width: int):
    """Window offsets (i*kw + j) -> PyTorch's return_indices: the flat position row*W + col of
    each maximum in its (H, W) input plane, as int64."""
    xp = backend.get_array_module(argmax)
    (_, kw), (sh, sw), (ph, pw), (dh, dw) = window
    ho, wo = argmax.shape[-2:]
    rows = xp.arange(ho).reshape(-1, 1) * sh - ph + dh * (argmax // kw)
    columns = xp.arange(wo) * sw - pw + dw * (argmax % kw)
    return (rows * width + columns).astype(np.int64)


def max_pool2d_impl(op: str, x: Tensor, window: Window, ceil_mode: bool = False,
                    return_indices: bool = False):
    """``max_pool2d`` with a checked Window, shared with the pooling layers. Integer inputs
    are pooled without a gradient (as PyTorch: integers have none)."""
    check_pool_input(op, x, integers=True)
    width = x.shape[-1]
    floating = x.dtype.kind == "f"
    if ceil_mode:
        low = -np.inf if floating else np.iinfo(x.dtype).min
        x = _pad_bottom_right(x, ceil_extra(window, x.shape[-2:]), low)
    if floating:
        y = pool2d_impl(op, MaxPool, x, window)
    else:  # no gradient: no Function
        check_fits(op, x, window)
        y = Tensor._make(window_max(x._array, window)[0], False)
    if not return_indices:
        return y
    argmax = window_max(x._array, window)[1]  # (a second pass: indices are seldom asked for)
    return y, Tensor._make(argmax_indices(argmax, window, width), False)


def avg_pool2d_impl(op: str, x: Tensor, window: Window, ceil_mode: bool = False,
                    count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """``avg_pool2d`` with a checked Window, shared with the pooling layers. The default
    options take AvgPool alone; the others rescale its output by kh*kw / divisor, a constant
    per output position (composed: the gradient follows)."""
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override <= 0):
        raise ValueError(f"{op}: divisor_override must be a positive int, got "
                         f"{divisor_override!r}")
    if not ceil_mode and count_include_pad and divisor_override is None:
        return pool2d_impl(op, AvgPool, x, window)
    check_pool_input(op, x)
    in_size = x.shape[-2:]
    y = pool2d_impl(op, AvgPool, _pad_bottom_right(
        x, ceil_extra(window, in_size) if ceil_mode else (0, 0), 0.0), window)
    if divisor_override is not None:
        divisors = np.full(y.shape[-2:], divisor_override)
    else:
        divisors = _divisors(window, in_size, y.shape[-2:], count_include_pad)
    scale = window.kernel[0] * window.kernel[1] / divisors
    return y * Tensor._make(backend.asarray(scale, y.dtype, y.device), False)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each kernel_size window, moving by stride (default: kernel_size), over an
    input padded with -inf. The gradient goes to the first maximum of each window. A window
    holding a NaN gives NaN, as in PyTorch (its gradient then goes to one of its elements).
    ceil_mode: keep the last, partial windows; return_indices: also each maximum's flat
    position in its (H, W) plane (for ``max_unpool2d``)."""
    window = pool_window("max_pool2d", kernel_size, stride, padding, dilation)
    return max_pool2d_impl("max_pool2d", input, window, ceil_mode, return_indices)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of each window. count_include_pad: the zero padding counts in the mean (else
    only the input's elements); divisor_override: divide every sum by this instead."""
    window = pool_window("avg_pool2d", kernel_size, stride, padding)
    return avg_pool2d_impl("avg_pool2d", input, window, ceil_mode, count_include_pad,
                           divisor_override)


def _averaging_matrix(n_in: int, n_out: int, like: Tensor) -> Tensor:
    """(n_out, n_in): row i averages inputs floor(i*n_in/n_out) to ceil((i+1)*n_in/n_out)-1,
    PyTorch's adaptive windows (they may overlap when n_in is not a multiple of n_out)."""
    matrix = np.zeros((n_out, n_in), dtype=like.dtype)
    for i in range(n_out):
        start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        matrix[i, start:end] = 1 / (end - start)
    return Tensor._make(backend.asarray(matrix, like.dtype, like.device), False)


def adaptive_output_size(op: str, x: Tensor, output_size) -> tuple:
    """``output_size`` as (Ho, Wo); None keeps that input dimension, as PyTorch."""
    check_pool_input(op, x)
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) == 2:
        sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[-2:]))
    sizes = pair(sizes, "output_size", op)
    if min(sizes) <= 0:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pool2d_impl(op: str, x: Tensor, output_size) -> Tensor:
    """``adaptive_avg_pool2d``, shared with the ``AdaptiveAvgPool2d`` layer; ``op`` names the
    caller in errors."""
    out_h, out_w = adaptive_output_size(op, x, output_size)
    if (out_h, out_w) == (1, 1):
        return x.mean((-2, -1), keepdim=True)
    rows = _averaging_matrix(x.shape[-2], out_h, x)
    columns = _averaging_matrix(x.shape[-1], out_w, x)
    return rows @ x @ columns.T


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size: y[..., a, b] = A_h @ x @ A_w^T with averaging
    matrices A (composed from matmul). Output size 1 is the mean over H and W."""
    return adaptive_avg_pool2d_impl("adaptive_avg_pool2d", input, output_size)
