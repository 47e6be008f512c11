"""``embedding``: look up one learned vector per integer index (a token id, a position).

    y[..., :] = weight[input[...], :]        gweight[k] = sum of gy over every place k was read

It is indexing with an integer array (``minidl/ops/indexing.py``), so nothing here needs a
backward of its own: the backward of indexing is already the scatter-add that sums the
gradients of a row read several times (a token that appears twice in a batch). Two of PyTorch's
options change that picture a little:

* ``padding_idx``: that row gets no gradient (it stays what it is, zeros by default, so
  padding contributes nothing): where the index is padding_idx, the output is taken from a
  copy that carries no graph.
* ``max_norm``: before the lookup, each row that is read and whose norm exceeds ``max_norm``
  is scaled down to it, in place in ``weight`` (outside the graph), as in PyTorch.

Read next: ``minidl/nn/layers/embedding.py`` (the Embedding module).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend
from minidl.errors import DTypeError, OutOfRangeError, ShapeError
from minidl.grad_mode import no_grad
from minidl.ops.compare import where
from minidl.ops.indexing import getitem
from minidl.tensor import Tensor


def check_padding_idx(owner: str, padding_idx: Optional[int], num_embeddings: int):
    """``padding_idx`` as a row number in [0, num_embeddings) (negative counts from the end),
    or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise OutOfRangeError(f"{owner}: padding_idx={padding_idx} must be within "
                              f"[{-num_embeddings}, {num_embeddings})")
    return padding_idx % num_embeddings


def _check_indices(input: Tensor, num_embeddings: int) -> None:
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise DTypeError(f"embedding: expected an integer tensor of indices, got {got}")
    if input.numel():
        low, high = int(input._array.min()), int(input._array.max())
        if low < 0 or high >= num_embeddings:
            raise OutOfRangeError(f"embedding: indices must be in [0, {num_embeddings}), got "
                                  f"values in [{low}, {high}]")


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` that ``input`` reads down to norm ``max_norm`` in place."""
    xp = backend.get_array_module(weight._array)
    rows = xp.unique(input._array)
    norms = (xp.abs(weight._array[rows]) ** norm_type).sum(axis=1) ** (1 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(weight.dtype)
    with no_grad():
        weight[rows] = weight._array[rows] * scale[:, None]


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer ``input``: shape
    input.shape + (embedding_dim,). ``scale_grad_by_freq`` and ``sparse`` (sparse gradients)
    are not supported."""
    if scale_grad_by_freq or sparse:
        raise ValueError("embedding: scale_grad_by_freq and sparse are not supported")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        got = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(f"embedding: expected a weight of shape (num_embeddings, "
                         f"embedding_dim), got {got}")
    _check_indices(input, weight.shape[0])
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    padding_idx = check_padding_idx("embedding", padding_idx, weight.shape[0])
    out = getitem(weight, input)
    if padding_idx is not None and out.requires_grad:
        # where the index is padding_idx, the same row, but read through a detached copy
        is_padding = backend.to_device((input._array == padding_idx)[..., None], out.device)
        is_padding = Tensor._make(is_padding, False)
        out = where(is_padding, out.detach(), out)
    return out
