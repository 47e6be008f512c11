"""Matrix multiplication, with PyTorch's rules for 1-D operands and batch broadcasting.

The primitive handles operands with at least two dimensions:

    y = x0 @ x1;   gx0 = gy @ x1^T,   gx1 = x0^T @ gy

where ^T swaps the last two axes. When batch dimensions were broadcast, those gradients have the
broadcast batch shape and are summed back (``sum_to``). 1-D operands are lifted to matrices
around the primitive (a leading or trailing 1) and the extra axis is removed afterwards.

Read next: ``reduce.py``.
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.autograd import Function
from minidl.errors import DTypeError, ShapeError
from minidl.ops.arithmetic import binary_operands
from minidl.ops.shape import squeeze, sum_to, transpose, unsqueeze
from minidl.tensor import Tensor


def _mT(t: Tensor) -> Tensor:
    return transpose(t, -1, -2)


class MatMul(Function):
    """y = x0 @ x1;  gx0 = gy @ x1^T, gx1 = x0^T @ gy"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return backend.get_array_module(x0).matmul(x0, x1)

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
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                         "do not broadcast") from None
    if a.dtype.kind == "b":
        raise DTypeError("matmul: bool tensors are not supported")


def matmul(a, b) -> Tensor:
    """``a @ b`` with ``torch.matmul``'s semantics (1-D, 2-D and batched operands)."""
    a, b = binary_operands(a, b)
    _check(a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    a2 = unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = unsqueeze(b, -1) if b.ndim == 1 else b
    y = MatMul.apply(a2, b2)
    if b.ndim == 1:
        y = squeeze(y, -1)
    if a.ndim == 1:
        y = squeeze(y, -2 if b.ndim > 1 else -1)
    return y
