"""``unfold`` and ``fold``: conv2d's im2col and col2im (``conv.py``) as public ops.

unfold takes every kernel-sized window of the padded input and lays it out as one column:

    cols[n, c*kh*kw + i*kw + j, h*Wo + w] = x_padded[n, c, s*h + d*i, s*w + d*j]

(PyTorch's layout: channel-major rows, row-major window positions). fold is its adjoint: it
adds every column back onto the positions its window came from (overlaps add up), so
fold(unfold(x)) counts each element once per window holding it. Each is linear and the other's
gradient -- gx = Fold(gy), gcols = Unfold(gy) -- so both are twice differentiable.

The two Functions only reorder axes around im2col/col2im, whose layout is conv2d's (rows by
kernel offset then channel, columns by window position then sample).

Read next: ``convert.py`` (dtype and device changes).
"""
from __future__ import annotations

from minidl import backend
from minidl.errors import ShapeError
from minidl.function import Function
from minidl.ops.conv import Window, check_fits, col2im, im2col, make_window, pair
from minidl.ops.dtype_checks import require_float
from minidl.ops.shape import squeeze, unsqueeze
from minidl.tensor import Tensor


class Unfold(Function):
    """cols = the windows of x as columns;  gx = Fold(gcols)"""

    @staticmethod
    def forward(ctx, x, window):
        n, c = x.shape[:2]
        (kh, kw), blocks = window.kernel, window.out_size(*x.shape[2:])
        cols = im2col(x, window, 1).reshape(kh, kw, c, blocks[0] * blocks[1], n)
        ctx.window, ctx.size = window, x.shape[2:]
        # into an array made by x's own module (im2col's strided view is NumPy's own type)
        y = backend.get_array_module(x).empty((n, c, kh, kw, blocks[0] * blocks[1]), x.dtype)
        y[...] = cols.transpose(4, 2, 0, 1, 3)
        return y.reshape(n, c * kh * kw, -1)

    @staticmethod
    def backward(ctx, gy):
        return Fold.apply(gy, ctx.size, ctx.window), None


class Fold(Function):
    """x = each column added back onto its window;  gcols = Unfold(gx)"""

    @staticmethod
    def forward(ctx, cols, size, window):
        n, rows, blocks = cols.shape
        kh, kw = window.kernel
        c = rows // (kh * kw)
        cols = cols.reshape(n, c, kh, kw, blocks).transpose(2, 3, 1, 4, 0)
        ctx.window = window
        return col2im(cols.reshape(1, kh * kw * c, blocks * n), (n, c) + tuple(size), window, 1)

    @staticmethod
    def backward(ctx, gx):
        return Unfold.apply(gx, ctx.window), None, None


def unfold_impl(op: str, x: Tensor, window: Window) -> Tensor:
    """``unfold`` with a checked Window, shared with the ``Unfold`` layer."""
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), "
                         f"got {shape}")
    require_float(op, x)
    check_fits(op, x, window)
    if x.ndim == 3:
        return squeeze(Unfold.apply(unsqueeze(x, 0), window), 0)
    return Unfold.apply(x, window)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, L): every window as a column, L = Ho*Wo windows."""
    window = make_window("unfold", kernel_size, stride, padding, dilation)
    return unfold_impl("unfold", input, window)


def fold_impl(op: str, cols: Tensor, output_size, window: Window) -> Tensor:
    """``fold`` with a checked Window and (H, W) output size, shared with the ``Fold`` layer."""
    if not isinstance(cols, Tensor) or cols.ndim not in (2, 3):
        shape = tuple(cols.shape) if isinstance(cols, Tensor) else type(cols).__name__
        raise ShapeError(f"{op}: expected a 3-D input (N, C*kh*kw, L) or a 2-D input "
                         f"(C*kh*kw, L), got {shape}")
    require_float(op, cols)
    kh, kw = window.kernel
    blocks = window.out_size(*output_size)
    if cols.shape[-2] % (kh * kw) or cols.shape[-1] != blocks[0] * blocks[1] or min(blocks) < 1:
        raise ShapeError(f"{op}: an input of shape {tuple(cols.shape)} does not fit output_size "
                         f"{tuple(output_size)} with kernel {window.kernel}: expected C*{kh * kw} "
                         f"rows and {max(blocks[0], 0) * max(blocks[1], 0)} columns "
                         f"({blocks[0]}x{blocks[1]} windows)")
    if cols.ndim == 2:
        return squeeze(Fold.apply(unsqueeze(cols, 0), tuple(output_size), window), 0)
    return Fold.apply(cols, tuple(output_size), window)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """(N, C*kh*kw, L) -> (N, C, H, W): each column added back onto its window (the adjoint of
    ``unfold``; overlapping windows add up)."""
    window = make_window("fold", kernel_size, stride, padding, dilation)
    size = pair(output_size, "output_size", "fold")
    if min(size) <= 0:
        raise ValueError(f"fold: output_size must be positive, got {output_size!r}")
    return fold_impl("fold", input, size, window)
