"""Matrix multiplication, with PyTorch's rules for 1-D operands and batch broadcasting.

The primitive handles operands with at least two dimensions:

    y = x0 @ x1;   gx0 = gy @ x1^T,   gx1 = x0^T @ gy

where ^T swaps the last two axes. When batch dimensions were broadcast, those gradients have the
broadcast batch shape and are summed back (``sum_to``). 1-D operands are lifted to matrices
around the primitive (a leading or trailing 1) and the extra axis is removed afterwards.
``mm`` (matrices only) and ``dot`` (vectors only) are matmul with PyTorch's stricter checks.

``Linear`` fuses y = x W^T + b into one node for the layers of ``minidl.nn``.

Read next: ``conv.py`` (2-d convolution as im2col and one matmul).
"""
from __future__ import annotations

import math

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import broadcast_shape
from minidl.ops.operands import binary_operands
from minidl.ops.shape import reshape, squeeze, sum_to, transpose, unsqueeze
from minidl.tensor import Tensor


def stacked_matmul(x0, x1):
    """x0 @ x1 on arrays, with a stack of matrices times one matrix (x1 2-D) done as one
    matrix product: the stack's rows are folded into one tall matrix (a copy when x0 is not
    contiguous). NumPy would call the BLAS once per matrix of the stack, or, for a
    non-contiguous stack, not at all; one call runs about twice as fast at a GPT's or an
    LSTM's sizes (``benchmarks/char_lm.py``)."""
    xp = backend.get_array_module(x0)
    if x0.ndim <= 2 or x1.ndim != 2:
        return xp.matmul(x0, x1)
    rows = math.prod(x0.shape[:-1])  # (not -1: a stack of 0-column matrices has size 0)
    return xp.matmul(x0.reshape(rows, x0.shape[-1]), x1).reshape(x0.shape[:-1] + x1.shape[-1:])


def _mT(t: Tensor) -> Tensor:
    return transpose(t, -1, -2)


class MatMul(Function):
    """y = x0 @ x1;  gx0 = gy @ x1^T, gx1 = x0^T @ gy"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return stacked_matmul(x0, x1)

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        gx0 = sum_to(matmul(gy, _mT(x1)), x0.shape) if ctx.needs_input_grad[0] else None
        gx1 = sum_to(matmul(_mT(x0), gy), x1.shape) if ctx.needs_input_grad[1] else None
        return gx0, gx1


def _check(a: Tensor, b: Tensor) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         f"multiplied ({k_a} != {k_b})")
    if broadcast_shape(a.shape[:-2], b.shape[:-2]) is None:  # (the message names whole shapes)
        raise ShapeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                         "do not broadcast")
    if a.dtype.kind == "b":
        raise DTypeError("matmul: bool tensors are not supported")


def matmul(a, b, *, out=None) -> Tensor:
    """``a @ b`` with ``torch.matmul``'s semantics (1-D, 2-D and batched operands). Unlike the
    elementwise ops, it does not promote: both operands must have one dtype, as in PyTorch
    (a float64 weight meeting float32 data is a mistake worth hearing about)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        raise DTypeError(f"matmul: the operands have different dtypes, {a.dtype} (shape "
                         f"{tuple(a.shape)}) and {b.dtype} (shape {tuple(b.shape)}); convert "
                         f"one, e.g. b.to(a.dtype)")
    a, b = binary_operands(a, b)
    _check(a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        y = MatMul.apply(a, b)
        return y if out is None else write_out("matmul", y, out)
    a2 = unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = unsqueeze(b, -1) if b.ndim == 1 else b
    y = MatMul.apply(a2, b2)
    if b.ndim == 1:
        y = squeeze(y, -1)
    if a.ndim == 1:
        y = squeeze(y, -2 if b.ndim > 1 else -1)
    return y if out is None else write_out("matmul", y, out)


def mm(a, b, *, out=None) -> Tensor:
    """The product of two matrices (``torch.mm``: 2-D operands only, no broadcasting)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.ndim == 2 and b.ndim == 2):
        raise ShapeError(f"mm: expected two 2-D tensors, got {_describe(a)} and {_describe(b)}; "
                         "matmul (@) takes other shapes")
    return matmul(a, b, out=out)


def dot(a, b, *, out=None) -> Tensor:
    """The dot product of two vectors of one length (``torch.dot``: 1-D operands only)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.ndim == 1 and b.ndim == 1):
        raise ShapeError(f"dot: expected two 1-D tensors, got {_describe(a)} and "
                         f"{_describe(b)}")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"dot: the vectors have different lengths, {a.shape[0]} and "
                         f"{b.shape[0]}")
    return matmul(a, b, out=out)


def _describe(x) -> str:
    return f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


class Linear(Function):
    """y = x W^T + b;  gx = gy W,  gW = gy^T x,  gb = sum of gy over the batch

    Fused, where ``x @ W.T + b`` composed from primitives takes three nodes (transpose, matmul,
    add) and hands W a transposed view of its gradient, which must be copied to become W.grad;
    here gW comes out of one GEMM in W's own layout. ``linear_composed`` is the twin the tests
    compare it with."""

    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        y = stacked_matmul(x, W.T)
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, gy):
        x, W = ctx.saved_tensors
        need_x, need_W, need_b = ctx.needs_input_grad
        gx = matmul(gy, W) if need_x else None
        gy2 = reshape(gy, -1, gy.shape[-1])  # the batch dimensions as one
        gW = matmul(transpose(gy2, 0, 1), reshape(x, -1, x.shape[-1])) if need_W else None
        gb = gy2.sum(0) if need_b else None
        return gx, gW, gb


def linear_composed(x: Tensor, W: Tensor, b=None) -> Tensor:
    """x W^T + b from primitives: the reference for ``Linear``."""
    y = matmul(x, transpose(W, 0, 1))
    return y if b is None else y + b
