"""2-D convolution (``conv2d``) as one matrix product, and its backward.

A convolution slides a small weight tensor over the input. Writing every window of the padded
input as one column ("im2col") turns it into a matrix product:

    cols[g, (i, j, c), (h, w, n)] = x_padded[n, g*Cg + c, s*h + d*i, s*w + d*j]
    y[n, g*Og + o, h, w]          = sum over (i, j, c) of W[g*Og + o, c, i, j] * cols[...]

(n: sample; g: group, with Cg = C/groups input and Og = O/groups output channels each; c, o:
channel within the group; (i, j): kernel offset; (h, w): output position; s: stride; d:
dilation). The convolution is linear in x and in W, and its two gradients are the two adjoint
products, one for each factor:

    gx = col2im(W^T @ gy)    every window's gradient added back where the window came from
    gW = gy @ cols^T         (the product sums over every sample and position)

conv2d is *fused*: composed from pad, getitem and matmul (``conv2d_composed`` below,
the twin the tests compare it with) it would create kh*kw graph nodes and kh*kw full-size
gradient buffers; fused, it is three Functions -- ``Convolution``, ``ConvInputGrad``,
``ConvWeightGrad`` -- whose backward rules are written with each other, so second derivatives
work: the three are bilinear, and the adjoint of each product is another of the three.

Read next: ``pool.py`` (max and average pooling reuse ``Window`` and ``pad_window``).
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

import numpy as np

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.function import Function
from minidl.ops.dtype_checks import require_float
from minidl.ops.linalg import matmul
from minidl.ops.shape import pad, reshape, squeeze, unsqueeze
from minidl.tensor import Tensor

Pair = Tuple[int, int]


# ------------------------------------------------------------------------- window geometry
class Window(NamedTuple):
    """Where a sliding window goes: size, step, zero padding and dilation, each (rows, cols)."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair

    def out_size(self, height: int, width: int) -> Pair:
        """Output size: how many window positions fit in the padded input, per dimension."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
            (height, width), self.kernel, self.stride, self.padding, self.dilation))

    def offsets(self, out_size: Pair):
        """For each kernel offset (i, j): the rows and columns of the padded input that it
        reads, one per output position (a strided slice: start d*i, step s)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho, wo = out_size
        for i in range(kh):
            for j in range(kw):
                yield i, j, (slice(dh * i, dh * i + sh * (ho - 1) + 1, sh),
                             slice(dw * j, dw * j + sw * (wo - 1) + 1, sw))


def pair(value, name: str, op: str) -> Pair:
    """``3`` -> (3, 3); ``(3, 5)`` stays; anything else is a ValueError naming ``op``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        values = tuple(value)
    else:
        values = (value, value)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(int(v) for v in values)


def make_window(op: str, kernel_size, stride, padding, dilation) -> Window:
    """Check hyperparameters (PyTorch's int-or-pair forms) and bundle them as a Window."""
    window = Window(pair(kernel_size, "kernel_size", op), pair(stride, "stride", op),
                    pair(padding, "padding", op), pair(dilation, "dilation", op))
    for name in ("kernel", "stride", "dilation"):
        if min(getattr(window, name)) <= 0:
            raise ValueError(f"{op}: {name} must be positive, got {getattr(window, name)}")
    if min(window.padding) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {window.padding}")
    return window


def conv_window(op: str, kernel_size, stride, padding, dilation) -> Tuple[Window, Pair]:
    """``make_window`` that also takes PyTorch's padding strings: "valid" is no padding; "same"
    pads d*(k-1) in total per dimension so that the output keeps the input's size (stride 1
    only), half on each side and, when that total is odd, the odd one at the bottom/right, as
    PyTorch. Returns the (symmetric) Window and that extra (bottom, right) padding."""
    if not isinstance(padding, str):
        return make_window(op, kernel_size, stride, padding, dilation), (0, 0)
    if padding not in ("same", "valid"):
        raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got "
                         f"{padding!r}")
    window = make_window(op, kernel_size, stride, 0, dilation)
    if padding == "valid":
        return window, (0, 0)
    if window.stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {window.stride}")
    total = [d * (k - 1) for k, d in zip(window.kernel, window.dilation)]
    window = window._replace(padding=tuple(t // 2 for t in total))
    return window, tuple(t % 2 for t in total)


def check_fits(op: str, x: Tensor, window: Window) -> None:
    """A ShapeError if the (dilated) window does not fit in the padded input even once."""
    if min(window.out_size(*x.shape[-2:])) < 1:
        (kh, kw), (dh, dw), (ph, pw) = window.kernel, window.dilation, window.padding
        height, width = x.shape[-2:]
        span = "" if (dh, dw) == (1, 1) else \
            f" (dilation {window.dilation}, spanning {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1})"
        raise ShapeError(f"{op}: the {kh}x{kw} window{span} is larger than the padded input "
                         f"({height + 2 * ph}x{width + 2 * pw}: input shape {tuple(x.shape)}, "
                         f"padding {window.padding})")


def pad_window(x, window: Window, value: float = 0.0):
    """The array x padded by ``window.padding`` on both sides of its last two axes."""
    ph, pw = window.padding
    if ph == 0 and pw == 0:
        return x
    widths = ((0, 0),) * (x.ndim - 2) + ((ph, ph), (pw, pw))
    return backend.get_array_module(x).pad(x, widths, constant_values=value)


def is_batch_last(x) -> bool:
    """Is the (N, C, H, W) array x stored in memory as (C, H, W, N) (see im2col)?"""
    return x.transpose(1, 2, 3, 0).flags.c_contiguous


def pad_batch_last(x, window: Window):
    """x zero-padded like ``pad_window``, stored batch-last: (C, H, W, N) in memory, returned
    as an (N, C, H, W) view. A copy unless x is batch-last already and needs no padding."""
    ph, pw = window.padding
    if ph == 0 and pw == 0 and is_batch_last(x):
        return x
    n, c, height, width = x.shape
    padded = backend.get_array_module(x).zeros((c, height + 2 * ph, width + 2 * pw, n),
                                                dtype=x.dtype)
    padded[:, ph:ph + height, pw:pw + width, :] = x.transpose(1, 2, 3, 0)
    return padded.transpose(3, 0, 1, 2)


# --------------------------------------------------------------------------- im2col, col2im
# Layout. Each group's product is ONE matrix product over the whole batch:
#     W (O/g, K) @ cols (K, Ho*Wo*N) -> (O/g, Ho*Wo*N)
# with the batch as the fastest-varying column index, so conv2d's output comes out in memory
# order (O, Ho, Wo, N), "batch-last", and is returned as an (N, O, Ho, Wo) transposed view of
# it: no copy. NumPy's elementwise ops keep that memory order, so ReLU's and pooling's outputs,
# and the gradients flowing back, are batch-last too; the next conv's im2col then copies runs
# of Wo*N contiguous elements instead of Wo, and col2im adds such runs: both, and the pooling
# between convs, are faster than with the channel-major layout (O, N, Ho, Wo) used before
# (timings: README, Performance). Per-sample GEMMs (a batched matmul) were slower still, and
# tensordot or einsum(optimize=True) copy the strided windows in a transposed order first,
# gaining nothing over one matmul.
def im2col(x, window: Window, groups: int):
    """(N, C, H, W) -> (groups, kh*kw*C/groups, Ho*Wo*N): each window of the padded input is
    one column, rows ordered by kernel offset (i, j) then channel, columns by output position
    then sample. ``as_strided`` makes the windows a view of the batch-last padded input (no
    copy); the final reshape copies it once, contiguous for the GEMM."""
    xp = backend.get_array_module(x)
    n, c, height, width = x.shape
    ho, wo = window.out_size(height, width)
    (kh, kw), (sh, sw), (dh, dw) = window.kernel, window.stride, window.dilation
    x = pad_batch_last(x, window)
    sn, sc, sy, sx = x.strides
    cg = c // groups
    view = xp.lib.stride_tricks.as_strided(
        x, (groups, kh, kw, cg, ho, wo, n),
        (cg * sc, dh * sy, dw * sx, sc, sh * sy, sw * sx, sn))
    return view.reshape(groups, kh * kw * cg, ho * wo * n)


def col2im(cols, x_shape, window: Window, groups: int):
    """The adjoint of im2col: add every column back onto the input positions it was read from.
    One strided slice-add per kernel offset (kh*kw of them), each covering all windows at
    once, clipped to the windows whose element at that offset is inside the input (not in
    the padding). Returns an (N, C, H, W) view of a contiguous batch-last (C, H, W, N) array:
    contiguous, unlike a crop of a padded buffer, so the elementwise ops the gradient meets
    next (ReLU's backward, for one) read it in memory order."""
    n, c, height, width = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = window
    ho, wo = window.out_size(height, width)
    cols = cols.reshape(groups, kh, kw, c // groups, ho, wo, n)
    x = backend.get_array_module(cols).zeros((groups, c // groups, height, width, n),
                                              dtype=cols.dtype)
    for i in range(kh):
        rows = _inside(height, ho, dh * i, sh, ph)
        for j in range(kw):
            columns = _inside(width, wo, dw * j, sw, pw)
            if rows and columns:
                x[:, :, rows[1], columns[1]] += cols[:, i, j, :, rows[0], columns[0]]
    return x.reshape(c, height, width, n).transpose(3, 0, 1, 2)


def _inside(size: int, out_size: int, offset: int, stride: int, padding: int):
    """Along one dimension, for the kernel element at ``offset`` (dilation included): the output
    positions o whose element lands inside the input, 0 <= stride*o + offset - padding < size,
    and the input positions they land on, as two slices; None if there are none."""
    first = max(0, -(-(padding - offset) // stride))  # ceiling division
    last = min(out_size - 1, (size - 1 + padding - offset) // stride)
    if last < first:
        return None
    start = stride * first + offset - padding
    return slice(first, last + 1), slice(start, start + stride * (last - first) + 1, stride)


def weight_matrix(w, groups: int):
    """(O, C/g, kh, kw) -> (g, O/g, kh*kw*C/g), columns ordered like im2col's rows."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2)
    return w.reshape(groups, o // groups, kh * kw * cg)


def weight_from_matrix(matrix, w_shape):
    """The inverse of ``weight_matrix``: (g, O/g, kh*kw*C/g) -> (O, C/g, kh, kw)."""
    o, cg, kh, kw = w_shape
    groups = matrix.shape[0]
    matrix = matrix.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3)
    return matrix.reshape(w_shape)


def output_matrix(y, groups: int):
    """(N, O, Ho, Wo) -> (g, O/g, Ho*Wo*N), the layout of the forward GEMM's result (no copy
    when y is batch-last, as conv2d's outputs and the gradients flowing back to them are)."""
    o = y.shape[1]
    return y.transpose(1, 2, 3, 0).reshape(groups, o // groups, -1)


# ------------------------------------------------------------------- the three Functions
class Convolution(Function):
    """y = conv(x, W) + b  (see the module docstring);
    gx = ConvInputGrad(gy, W), gW = ConvWeightGrad(x, gy), gb = gy summed over (n, h, w)"""

    @staticmethod
    def forward(ctx, x, w, b, window, groups):
        cols = im2col(x, window, groups)
        y = weight_matrix(w, groups) @ cols  # (g, O/g, Ho*Wo*N): one GEMM per group
        if b is not None:  # to the contiguous matrix: CuPy is slow adding to the view below
            y += b.reshape(groups, -1, 1)
        y = y.reshape(w.shape[0], *window.out_size(*x.shape[2:]), x.shape[0])
        y = y.transpose(3, 0, 1, 2)  # (N, O, Ho, Wo), batch-last in memory
        ctx.window, ctx.groups = window, groups
        # Keep the columns for gW (saves rebuilding them), freed with the graph after backward.
        ctx.save_for_backward(x, w, cols if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w, cols = ctx.saved_tensors
        window, groups = ctx.window, ctx.groups
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        # gy as the GEMMs' (g, O/g, Ho*Wo*N) matrix, made once for both products: a view when
        # gy is batch-last, as it comes back through ReLU and pooling; else one copy, not two.
        gy_matrix = output_matrix(gy._array, groups) if need_x or need_w else None
        gx = ConvInputGrad.apply(gy, w, x.shape, window, groups,
                                 gy_matrix=gy_matrix) if need_x else None
        gw = ConvWeightGrad.apply(x, gy, w.shape, window, groups, cols=cols._array,
                                  gy_matrix=gy_matrix) if need_w else None
        gb = gy.sum((0, 2, 3)) if need_b else None
        return gx, gw, gb, None, None


class ConvInputGrad(Function):
    """gx = col2im(W^T @ gy), the gradient of conv(x, W) in x (a "transposed convolution");
    linear in gy and W:  g_gy = Convolution(ggx, W), g_W = ConvWeightGrad(ggx, gy)"""

    @staticmethod
    def forward(ctx, gy, w, x_shape, window, groups, gy_matrix=None):
        if gy_matrix is None:
            gy_matrix = output_matrix(gy, groups)
        cols = weight_matrix(w, groups).transpose(0, 2, 1) @ gy_matrix
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(gy, w)
        return col2im(cols, x_shape, window, groups)

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        need_gy, need_w = ctx.needs_input_grad[:2]
        g_gy = Convolution.apply(ggx, w, None, ctx.window, ctx.groups) if need_gy else None
        g_w = ConvWeightGrad.apply(ggx, gy, w.shape, ctx.window, ctx.groups) if need_w else None
        return g_gy, g_w, None, None, None  # (gy_matrix is a keyword: not an input)


class ConvWeightGrad(Function):
    """gW = gy @ cols(x)^T (the product sums over the batch too), the gradient of conv(x, W)
    in W; linear in x and gy:  g_x = ConvInputGrad(gy, ggW), g_gy = Convolution(x, ggW)"""

    @staticmethod
    def forward(ctx, x, gy, w_shape, window, groups, cols=None, gy_matrix=None):
        if cols is None:
            cols = im2col(x, window, groups)
        if gy_matrix is None:
            gy_matrix = output_matrix(gy, groups)
        gw = gy_matrix @ cols.transpose(0, 2, 1)  # (g, O/g, K)
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(x, gy)
        return weight_from_matrix(gw, w_shape)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        g_x = ConvInputGrad.apply(gy, ggw, x.shape, ctx.window, ctx.groups) if need_x else None
        g_gy = Convolution.apply(x, ggw, None, ctx.window, ctx.groups) if need_gy else None
        return g_x, g_gy, None, None, None  # (cols, gy_matrix: keywords, not inputs)


# ------------------------------------------------------------------------ the public function
def check_conv_input(op: str, x: Tensor, weight: Tensor, bias, groups: int) -> None:
    """ShapeError/DTypeError naming ``op`` for inputs that do not fit the weight."""
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), "
                         f"got {shape}")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, "
                         f"kW), got shape {shape}")
    if not isinstance(groups, int) or groups <= 0 or weight.shape[0] % groups:
        raise ValueError(f"{op}: groups must be a positive divisor of out_channels "
                         f"{weight.shape[0]}, got {groups!r}")
    channels = weight.shape[1] * groups
    if x.shape[-3] != channels:
        raise ShapeError(f"{op}: expected input with {channels} channels, got shape "
                         f"{tuple(x.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"{op}: expected a bias of shape ({weight.shape[0]},), got "
                         f"{tuple(bias.shape)}")
    require_float(op, x)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise DTypeError(f"{op}: input is {x.dtype} but {name} is {t.dtype}; convert one "
                             "of them (e.g. with .float())")


def conv2d_impl(op: str, x: Tensor, weight: Tensor, bias, window: Window,
                groups: int, extra: Pair = (0, 0)) -> Tensor:
    """``conv2d`` with a checked Window, shared by ``conv2d`` and the ``Conv2d`` layer; ``op``
    names the caller in errors (``Conv2d(3, 8, ...)``); ``extra``: padding="same"'s odd
    bottom/right row and column (see ``conv_window``)."""
    check_conv_input(op, x, weight, bias, groups)
    if extra != (0, 0):
        x = pad(x, (0, extra[1], 0, extra[0]))
    check_fits(op, x, window)
    if x.ndim == 3:  # unbatched (C, H, W), as PyTorch accepts
        return squeeze(Convolution.apply(unsqueeze(x, 0), weight, bias, window, groups), 0)
    return Convolution.apply(x, weight, bias, window, groups)


def conv2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) with weight (O, C/groups, kH, kW), PyTorch semantics
    (cross-correlation: the kernel is not flipped). stride/padding/dilation: int or pair;
    padding may also be "valid" (none) or "same" (the output keeps the input's size)."""
    if isinstance(weight, Tensor) and weight.ndim == 4:
        kernel_size = weight.shape[2:]
    else:
        kernel_size = 1  # the weight's rank is reported by check_conv_input
    window, extra = conv_window("conv2d", kernel_size, stride, padding, dilation)
    return conv2d_impl("conv2d", input, weight, bias, window, groups, extra)


def conv2d_composed(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1,
                    groups: int = 1) -> Tensor:
    """The composed twin of conv2d, for tests: a sum over kernel offsets (i, j) of the shifted
    input slice times W[:, :, i, j], built from pad, getitem, reshape and matmul only."""
    window = make_window("conv2d_composed", weight.shape[2:], stride, padding, dilation)
    n, c = x.shape[:2]
    o = weight.shape[0]
    ho, wo = window.out_size(*x.shape[2:])
    ph, pw = window.padding
    xpad = pad(x, (pw, pw, ph, ph))
    y = None
    for i, j, (rows, columns) in window.offsets((ho, wo)):
        patch = reshape(xpad[:, :, rows, columns], (n, groups, c // groups, ho * wo))
        w_ij = reshape(weight[:, :, i, j], (groups, o // groups, c // groups))
        term = matmul(w_ij, patch)  # (N, g, O/g, Ho*Wo)
        y = term if y is None else y + term
    y = reshape(y, (n, o, ho, wo))
    return y if bias is None else y + reshape(bias, (o, 1, 1))
