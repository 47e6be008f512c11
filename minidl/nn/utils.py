"""Utilities over a model's parameters: flattening all parameters into one vector and back, and
counting parameters. It also gathers, under one name, the helpers that have files of their own:
gradient clipping (``clip.py``), ``l1_penalty`` (``regularization.py``), full backward hooks
(``hooks.py``) and ``LayerStats`` (``layer_stats.py``).

Read next: ``embedding_functional.py`` (the first of the sequence layers).
"""
from __future__ import annotations

from typing import Iterable

from minidl.errors import ShapeError
from minidl.grad_mode import no_grad
from minidl.nn.clip import clip_grad_norm_, clip_grad_value_
from minidl.nn.hooks import register_full_backward_hook
from minidl.nn.layer_stats import LayerStats
from minidl.nn.module import Module
from minidl.nn.regularization import l1_penalty
from minidl.ops import cat
from minidl.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (differentiable)."""
    parameters = list(parameters)
    if not parameters:
        raise ShapeError("parameters_to_vector: no parameters given")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (the inverse
    of ``parameters_to_vector``)."""
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if not isinstance(vec, Tensor) or vec.ndim != 1 or vec.numel() != total:
        raise ShapeError(f"vector_to_parameters: expected a 1-D tensor of {total} elements "
                         f"(the parameters' total), got shape "
                         f"{tuple(getattr(vec, 'shape', ()))}")
    start = 0
    with no_grad():
        for p in parameters:
            p.copy_(vec._array[start:start + p.numel()].reshape(p.shape))
            start += p.numel()


def count_parameters(module: Module, trainable_only: bool = False) -> int:
    """The number of scalar parameters (shared ones counted once); with ``trainable_only``,
    only those with ``requires_grad``."""
    return sum(p.numel() for p in module.parameters()
               if p.requires_grad or not trainable_only)
