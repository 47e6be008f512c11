"""MultiheadAttention (``torch.nn.MultiheadAttention``): attention in several subspaces at once.

The queries, keys and values are projected with one stacked weight ``in_proj_weight`` (3E, E)
(rows 0..E-1 make the queries, then the keys, then the values) and bias ``in_proj_bias``
(3E,), split into ``num_heads`` heads of E / num_heads features, attended head by head
(``attention_functional.py``), joined back and projected by ``out_proj`` (a Linear). The
parameter names and shapes are PyTorch's, so its state_dict loads.

Read next: ``transformer.py`` (TransformerEncoderLayer, TransformerEncoder).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

from minidl.creation import empty
from minidl.errors import ConfigError, ShapeError
from minidl.nn import functional as F
from minidl.nn import init
from minidl.nn.attention_functional import additive_mask, attention, blind_queries
from minidl.nn.layers.linear import Linear
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class MultiheadAttention(Module):
    """Multi-head attention over inputs (L, N, E) (or (N, L, E) with ``batch_first``, or
    unbatched (L, E)); keys and values may have another length S.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns (output, weights): weights (N, L, S)
    averaged over the heads, (N, num_heads, L, S) with ``average_attn_weights=False``, or
    None when ``need_weights=False``. Masks: a bool True means "do not attend" (a float mask
    is added to the scores); ``key_padding_mask`` (N, S) hides padded keys; ``attn_mask`` is
    (L, S) or (N * num_heads, L, S). ``is_causal`` is only a hint, as in PyTorch: the causal
    ``attn_mask`` must be passed too. Dropout acts on the weights in training. A query that
    may see no key gets output 0 (PyTorch gives NaN there when need_weights=True).
    ``in_proj_weight`` starts Xavier-uniform, the biases at 0. Not supported: add_bias_kv,
    add_zero_attn, kdim and vdim other than embed_dim."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: Optional[int] = None, vdim: Optional[int] = None,
                 batch_first: bool = False, device: Any = None, dtype: Any = None):
        super().__init__()
        for name, n in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ConfigError(f"MultiheadAttention: {name} must be a positive integer, "
                                  f"got {n!r}")
        if embed_dim % num_heads:
            raise ConfigError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                              f"num_heads={num_heads}")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or \
                vdim not in (None, embed_dim):
            raise ConfigError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim "
                              "other than embed_dim are not supported")
        F.check_dropout_p(dropout, "MultiheadAttention dropout")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype,
                                              device=device))
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype, device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _heads(self, x: Tensor, rows: slice) -> Tensor:
        """(N, L, E) projected by the rows ``rows`` of in_proj, as (N, num_heads, L, head_dim).
        Three projections rather than one product sliced three ways: a slice's backward
        writes into zeros the size of what it was cut from."""
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        y = F.linear(x, self.in_proj_weight[rows], bias)
        return y.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def _bias(self, label: str, attn_mask, key_padding_mask, n: int, length: int,
              source_length: int, dtype) -> Optional[Tensor]:
        """The two masks as one additive mask that broadcasts to (N, heads, L, S)."""
        bias = additive_mask(label, attn_mask, dtype, true_means_masked=True)
        if bias is not None:
            if bias.shape == (n * self.num_heads, length, source_length):
                bias = bias.reshape(n, self.num_heads, length, source_length)
            elif bias.shape != (length, source_length):
                raise ShapeError(f"{label}: attn_mask must be ({length}, {source_length}) or "
                                 f"({n * self.num_heads}, {length}, {source_length}), got "
                                 f"{tuple(attn_mask.shape)}")
        padding = additive_mask(label, key_padding_mask, dtype, true_means_masked=True)
        if padding is not None:
            if padding.shape != (n, source_length):
                raise ShapeError(f"{label}: key_padding_mask must be ({n}, {source_length}), "
                                 f"got {tuple(key_padding_mask.shape)}")
            padding = padding.reshape(n, 1, 1, source_length)
            bias = padding if bias is None else bias + padding
        return bias

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Optional[Tensor] = None, need_weights: bool = True,
                attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        label = f"MultiheadAttention({self.embed_dim}, {self.num_heads})"
        batched = query.ndim == 3
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor) or t.ndim != query.ndim or t.ndim not in (2, 3) or \
                    t.shape[-1] != self.embed_dim:
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ShapeError(f"{label}: expected {name} of shape (L, N, {self.embed_dim}) "
                                 f"(or (N, L, E) with batch_first, or unbatched (L, E)), got "
                                 f"{got}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{label}: is_causal=True is only a hint: pass the causal "
                             "attn_mask too")
        # Work in (N, L, E), whatever the layout given.
        if not batched:
            query, key, value = (t.unsqueeze(0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, e = query.shape
        source_length = key.shape[1]
        if key.shape != value.shape or key.shape[0] != n:
            raise ShapeError(f"{label}: key and value must have one shape with the query's "
                             f"batch size, got {tuple(key.shape)} and {tuple(value.shape)}")
        bias = self._bias(label, attn_mask, key_padding_mask, n, length, source_length,
                          query.dtype)
        q = self._heads(query, slice(0, e))
        k = self._heads(key, slice(e, 2 * e))
        v = self._heads(value, slice(2 * e, 3 * e))
        out, weights = attention(q, k, v, bias, self.dropout if self.training else 0.0,
                                 1 / math.sqrt(self.head_dim), blind_queries(bias))
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, e))
        if batched and not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return (out if batched else out.squeeze(0)), None
        if average_attn_weights:
            weights = weights.mean(1)
        return (out, weights) if batched else (out.squeeze(0), weights.squeeze(0))

    def extra_repr(self) -> str:
        return ""  # PyTorch's shows only the out_proj submodule (the sizes are in it)
