"""Embedding: a learned table of vectors, one per index (``torch.nn.Embedding``).

Read next: ``minidl/nn/recurrent_functional.py`` (the math of the recurrent layers).
"""
from __future__ import annotations

from typing import Any, Optional

from minidl.creation import empty
from minidl.errors import ConfigError
from minidl.grad_mode import no_grad
from minidl.nn import init
from minidl.nn.embedding_functional import check_padding_idx, embedding
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class Embedding(Module):
    """y = weight[input]: ``weight`` (num_embeddings, embedding_dim) starts as N(0, 1), as in
    PyTorch, with the ``padding_idx`` row (if any) zeroed; that row never gets a gradient.
    With ``max_norm``, rows read are first scaled down to that norm in place.
    ``_weight`` sets the initial table instead (``from_pretrained`` uses it)."""

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Optional[Tensor] = None,
                 _freeze: bool = False, device: Any = None, dtype: Any = None):
        super().__init__()
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ConfigError(f"Embedding: {name} must be a positive integer, got {n!r}")
        if scale_grad_by_freq or sparse:
            raise ConfigError("Embedding: scale_grad_by_freq and sparse are not supported")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = check_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ConfigError(f"Embedding: _weight has shape {tuple(_weight.shape)}, "
                                  f"expected {(num_embeddings, embedding_dim)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                        norm_type: float = 2.0) -> Embedding:
        """An Embedding holding ``embeddings`` (shared, not copied); frozen by default."""
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, _weight=embeddings,
                   _freeze=freeze)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text
