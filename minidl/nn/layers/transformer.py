"""TransformerEncoderLayer and TransformerEncoder (``torch.nn``'s, same names and defaults).

A layer is self-attention then a two-layer feed-forward network, each wrapped in a residual
connection with a LayerNorm, after it (post-norm, the original Transformer and PyTorch's
default) or before it (``norm_first=True``, pre-norm, as in GPT-2; it trains more stably):

    post-norm:  x = norm1(x + sa(x));          x = norm2(x + ff(x))
    pre-norm:   x = x + sa(norm1(x));          x = x + ff(norm2(x))

    sa(x) = dropout1(self_attn(x, x, x))       ff(x) = dropout2(linear2(dropout(act(linear1(x)))))

A GPT block is a pre-norm layer with a causal mask (``examples/char_gpt.py``).

Read next: ``minidl/threads.py`` (how many threads the matrix products use, and why).
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Optional, Union

import numpy as np

from minidl import backend
from minidl.errors import ConfigError
from minidl.nn import functional as F
from minidl.nn.containers import ModuleList
from minidl.nn.layers.attention import MultiheadAttention
from minidl.nn.layers.dropout import Dropout
from minidl.nn.layers.linear import Linear
from minidl.nn.layers.normalization import LayerNorm
from minidl.nn.module import Module
from minidl.tensor import Tensor

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One encoder layer: ``TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048,
    dropout=0.1, activation="relu", layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)``. ``activation`` is "relu", "gelu" or a callable (a Module
    such as ``nn.GELU(approximate="tanh")`` is registered, and has no parameters).
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)`` takes src
    (L, N, d_model), or (N, L, d_model) with ``batch_first``; the masks are those of
    ``MultiheadAttention``."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Union[str, Callable] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ConfigError(f"TransformerEncoderLayer: activation should be 'relu' or "
                                  f"'gelu' (or a callable), not {activation!r}")
            activation = _ACTIVATIONS[activation]
        kinds = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kinds)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kinds)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kinds)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kinds)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kinds)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """The causal mask for a sequence of length ``sz``: 0 on and below the diagonal, -inf
    above it (``torch.nn.Transformer.generate_square_subsequent_mask``)."""
    device = backend.parse_device(device)
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    xp = backend.xp_for(device)
    with backend.selected(device):
        mask = xp.triu(xp.full((sz, sz), -np.inf, dtype=dtype), 1)
    return Tensor._make(mask, False)


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (deep copies: each its own parameters),
    applied in turn, then ``norm`` if given. ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)``; ``is_causal`` is a hint that ``mask`` is
    the causal mask (``generate_square_subsequent_mask``), which must be passed: the math
    is the same either way. ``enable_nested_tensor`` and ``mask_check`` are accepted for
    PyTorch compatibility and ignored."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Optional[Module] = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__()
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
            raise ConfigError(f"TransformerEncoder: num_layers must be a positive integer, got "
                              f"{num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None,
                is_causal: Optional[bool] = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
