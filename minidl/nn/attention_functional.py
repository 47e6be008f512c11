"""Scaled dot-product attention, the heart of a Transformer:

    attention(Q, K, V) = softmax(Q K^T * scale + mask) V,     scale = 1 / sqrt(E) by default

for queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev): each of the L queries
takes an average of the S values, weighted by how well it matches each key. Composed from
primitives (matmul, softmax, dropout), so its backward is theirs.

Masks follow PyTorch. ``scaled_dot_product_attention`` takes a bool ``attn_mask`` whose True
means "may attend", or a float mask added to the scores; ``is_causal=True`` lets query i see
keys 0..i only. ``nn.MultiheadAttention`` takes the opposite bool convention (True means
"masked out") for its ``attn_mask`` and ``key_padding_mask``. Either way a masked score becomes
-inf, so softmax gives it weight 0. A query that may see no key at all gets weight 0 everywhere
and output 0, as PyTorch's ``scaled_dot_product_attention`` does (softmax alone would give NaN).

Memory: the weights are an (L, S) matrix per head and batch element, so attention costs
O(L * S) memory and time: a context of 1024 tokens holds a million weights per head, kept for
backward.

Read next: ``minidl/nn/layers/attention.py`` (MultiheadAttention).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.nn import functional as F  # (functional.py re-exports this module)
from minidl.ops.compare import where
from minidl.ops.dims import broadcast_shape
from minidl.ops.linalg import matmul
from minidl.ops.softmax import softmax
from minidl.tensor import Tensor


def causal_mask(length: int, source_length: int, dtype, device: str) -> Tensor:
    """The additive causal mask: 0 where key j <= query i, -inf above the diagonal."""
    xp = backend.xp_for(device)
    with backend.selected(device):
        allowed = xp.tri(length, source_length, dtype=bool)
        return Tensor._make(xp.where(allowed, 0, -np.inf).astype(dtype), False)


def additive_mask(op: str, mask: Optional[Tensor], dtype, true_means_masked: bool):
    """A bool mask as an additive one (0 or -inf; True means masked out when
    ``true_means_masked``, else True means "may attend"); a float mask as it is."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise DTypeError(f"{op}: masks must be Tensors, got {type(mask).__name__}")
    if mask.dtype.kind == "b":
        xp = backend.get_array_module(mask._array)
        masked = mask._array if true_means_masked else ~mask._array
        return Tensor._make(xp.where(masked, -np.inf, 0).astype(dtype), False)
    if mask.dtype != dtype:
        raise DTypeError(f"{op}: a float mask must have the queries' dtype {dtype}, got "
                         f"{mask.dtype}")
    return mask


def blind_queries(bias: Optional[Tensor]) -> Optional[Tensor]:
    """Where an additive mask hides every key from a query (a bool tensor that broadcasts to
    the weights), or None if it never does."""
    if bias is None:
        return None
    blind = (bias._array == -np.inf).all(axis=-1, keepdims=True)
    return Tensor._make(blind, False) if bool(blind.any()) else None


def attention(query: Tensor, key: Tensor, value: Tensor, bias: Optional[Tensor],
              dropout_p: float, scale: float,
              blind: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """(softmax(Q K^T scale + bias) V, the weights after dropout); ``bias`` is an additive
    mask (or None) that broadcasts to the scores' shape (..., L, S), ``blind`` what
    ``blind_queries`` says of it."""
    scores = matmul(query * scale, key.transpose(-2, -1))  # Q scaled: (L, E) is the smaller
    if blind is not None:
        # A row of -inf scores has softmax 0 / 0 = NaN, and NaN gradients; PyTorch gives the
        # weights 0. So those rows get finite scores here, and weight 0 below.
        bias = where(blind, 0.0, bias)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if blind is not None:
        weights = where(blind, 0.0, weights)
    if dropout_p > 0:
        weights = F.dropout(weights, dropout_p, True)
    return matmul(weights, value), weights


def _check_qkv(query: Tensor, key: Tensor, value: Tensor) -> None:
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
            raise ShapeError(f"{op}: {name} must have at least 2 dimensions (..., length, "
                             f"features), got {got}")
        if t.dtype != query.dtype or t.dtype.kind != "f":
            raise DTypeError(f"{op}: query, key and value must share one floating-point "
                             f"dtype, got {query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {tuple(query.shape)}, {tuple(key.shape)} and "
                         f"{tuple(value.shape)}")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Optional[Tensor] = None, dropout_p: float = 0.0,
                                 is_causal: bool = False,
                                 scale: Optional[float] = None) -> Tensor:
    """softmax(Q K^T * scale + mask) V, with PyTorch's arguments and mask conventions (the
    module docstring). ``dropout_p`` applies whenever it is above 0, as in PyTorch: pass
    ``dropout_p=p if self.training else 0.0``."""
    op = "scaled_dot_product_attention"
    _check_qkv(query, key, value)
    length, source_length = query.shape[-2], key.shape[-2]
    bias = additive_mask(op, attn_mask, query.dtype, true_means_masked=False)
    if is_causal:
        if bias is not None:
            raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
        bias = causal_mask(length, source_length, query.dtype, query.device)
    if bias is not None:
        batch = broadcast_shape(query.shape[:-2], key.shape[:-2]) or ()
        scores_shape = batch + (length, source_length)
        if broadcast_shape(bias.shape, scores_shape) != scores_shape:
            raise ShapeError(f"{op}: a mask of shape {tuple(bias.shape)} does not broadcast "
                             f"to the scores' shape (..., {length}, {source_length})")
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    blind = None if is_causal else blind_queries(bias)  # (a causal row always sees key 0)
    return attention(query, key, value, bias, dropout_p, scale, blind)[0]
