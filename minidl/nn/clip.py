"""Gradient clipping: rescaling gradients between ``backward()`` and ``step()``.

``clip_grad_norm_`` rescales all gradients together when their combined norm is too large (the
usual cure for exploding gradients); ``clip_grad_value_`` clamps each entry. Both work in place
on the raw gradient arrays, skip parameters without a gradient, and take a Tensor or an iterable
of Tensors. ``minidl.nn.utils`` re-exports both.

Read next: ``minidl/nn/hooks.py`` (watching what flows through a Module);
``minidl/optim/optimizer.py`` consumes the clipped gradients.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import List, Union

import numpy as np

from minidl import backend
from minidl.config_checks import ConfigTypeError, check_number
from minidl.errors import DTypeError, MinidlError
from minidl.tensor import Tensor

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


class NonFiniteNormError(MinidlError, RuntimeError):
    """The total gradient norm is NaN or infinite, so clipping would not make it finite."""


def _grad_arrays(op: str, parameters: TensorOrTensors) -> List:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    if not isinstance(parameters, Iterable):
        raise ConfigTypeError(f"{op}: parameters must be a Tensor or an iterable of Tensors, got "
                              f"{type(parameters).__name__}")
    parameters = list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise ConfigTypeError(f"{op}: parameters must be Tensors, but item {i} is a "
                                  f"{type(p).__name__}")
        if p.grad is not None and not isinstance(p.grad, Tensor):
            raise DTypeError(f"{op}: the .grad of parameter {i} is a {type(p.grad).__name__}; "
                             "a gradient must be a Tensor (or None)")
    return [p.grad._array for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    The total norm is taken over all gradients as if they were concatenated into one vector:
    ``total = ||(||g_1||, ..., ||g_n||)||`` (for ``norm_type=inf``, the largest ``|entry|``).
    Every gradient is multiplied by ``min(max_norm / (total + 1e-6), 1)``; the 1e-6 keeps the
    division finite when all gradients are zero. Returns the total norm *before* clipping, as a
    0-d Tensor (log it: a norm that keeps growing is an early sign of divergence).
    """
    # A NaN max_norm would scale every gradient to NaN; a negative one would flip their signs.
    max_norm = float(check_number("clip_grad_norm_", "max_norm", max_norm, 0))
    norm_type = float(check_number("clip_grad_norm_", "norm_type", norm_type, 0, low_open=True))
    grads = _grad_arrays("clip_grad_norm_", parameters)
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    backend.same_device_or_raise("clip_grad_norm_", grads)
    xp = backend.get_array_module(grads[0])
    # The norm of the per-gradient norms equals the norm of everything concatenated, for any p.
    per_grad = xp.stack([xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total = xp.linalg.norm(per_grad, ord=norm_type)
    total_value = float(total)  # one device-to-host copy per call, needed to decide the scale
    if error_if_nonfinite and not math.isfinite(total_value):
        raise NonFiniteNormError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total_value}, so it cannot be clipped; pass error_if_nonfinite=False to scale "
            "by it anyway"
        )
    # min() keeps a NaN coefficient (NaN compares false), so NaN norms poison the grads as in
    # PyTorch rather than being silently ignored.
    coef = min(max_norm / (total_value + 1e-6), 1.0)
    if coef != 1.0:
        # An infinite norm gives coef 0 and inf * 0 = NaN, as in PyTorch: NumPy need not warn.
        with np.errstate(invalid="ignore"):
            for g in grads:
                g *= coef  # a Python float keeps float32 gradients float32
    # On the gradients' device, like PyTorch (a NumPy norm comes back as a host scalar).
    return Tensor._make(backend.asarray(total, device=backend.device_of(grads[0])), False)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(check_number("clip_grad_value_", "clip_value", clip_value, 0))
    for g in _grad_arrays("clip_grad_value_", parameters):
        backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
