"""batch_norm and layer_norm: bring activations to zero mean and unit variance, then scale and
shift them with a learned per-feature weight and bias:

    xhat = (x - mean) / sqrt(var + eps),        y = weight * xhat + bias

They differ in which elements share a mean and a variance:

* batch_norm  one per channel, over the batch and every position: axes (0,) of (N, C), (0, 2)
              of (N, C, L), (0, 2, 3) of (N, C, H, W). In training the batch's own statistics
              normalise, and running estimates of them are updated; in eval the running
              estimates normalise, so an output depends on its own sample only.
* layer_norm  one per sample, over the trailing ``normalized_shape`` dimensions; training and
              eval are the same.

Conventions (PyTorch's):

* the variance that normalises is the *biased* one, mean((x - mean)^2), computed from the
  deviations (never as E[x^2] - E[x]^2, which cancels catastrophically when |mean| >> std);
* the running variance estimates the population: it is fed the *unbiased* var * n / (n - 1),
  with n values per channel;
* ``running = (1 - momentum) * running + momentum * batch_statistic``: momentum 0.1 averages
  over roughly the last ten batches (the BatchNorm layers pass 1/t for momentum=None, which
  makes it the plain average of all t batches so far);
* running statistics are buffers, updated in place on their arrays under no graph: a training
  step never makes the graph of the next one longer.

Training-mode batch norm is fused (``BatchNormalize``, in ``minidl/ops/batch_norm.py``):
composed, its backward runs through a dozen nodes with as many full-size temporaries; the
closed form

    gx = inv_std * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))

takes three passes. Its composed twin is ``normalize``, which layer_norm uses as it is (fast
enough there) and which the tests compare with the fused Function, values and gradients.

Read next: ``minidl/nn/sample_norm_functional.py`` (the normalizations within a sample).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

from minidl.config_checks import ConfigTypeError, check_number, is_int
from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.grad_mode import no_grad
from minidl.ops.batch_norm import BatchNormalize
from minidl.ops.dtype_checks import require_float
from minidl.ops.layer_norm import layer_norm as fused_layer_norm
from minidl.tensor import Tensor


def normalize(x: Tensor, axes: Tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), composed from primitives."""
    deviation = x - x.mean(axes, keepdim=True)
    var = (deviation * deviation).mean(axes, keepdim=True)
    return deviation * (var + eps) ** -0.5


def batch_statistics(x, axes: Tuple[int, ...]):
    """Mean and biased variance of the array x over ``axes`` (kept as size-1 axes)."""
    mean = x.mean(axis=axes, keepdims=True)
    deviation = x - mean
    deviation *= deviation
    return mean, deviation.mean(axis=axes, keepdims=True)


def update_running(buffer: Tensor, batch_value, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch_value, in place, outside the graph."""
    with no_grad():
        buffer.mul_(1 - momentum).add_(batch_value.reshape(buffer.shape), alpha=momentum)


def check_eps(op: str, eps: float) -> float:
    """eps > 0: it keeps 1 / sqrt(var + eps) finite for a constant input (var = 0)."""
    return check_number(op, "eps", eps, 0, low_open=True)


def check_momentum(op: str, momentum: Optional[float]) -> Optional[float]:
    """momentum in [0, 1], or None (a cumulative average): outside it, the running estimate
    is no longer an average of batch statistics (momentum 2 gives -running + 2 * batch)."""
    return None if momentum is None else check_number(op, "momentum", momentum, 0, 1)


def check_normalized_shape(op: str, normalized_shape: Union[int, Sequence[int]]
                           ) -> Tuple[int, ...]:
    """``normalized_shape`` as a tuple of positive sizes (an int n means (n,))."""
    shape = (normalized_shape,) if is_int(normalized_shape) else normalized_shape
    if not isinstance(shape, (tuple, list)) or not shape or not all(map(is_int, shape)):
        raise ConfigTypeError(f"{op}: normalized_shape must be a positive integer or a "
                              f"non-empty sequence of them, got {normalized_shape!r}")
    if not all(n >= 1 for n in shape):
        raise ConfigError(f"{op}: invalid normalized_shape value: {normalized_shape!r} "
                          "(expected positive sizes)")
    return tuple(int(n) for n in shape)


def _check_batch_norm(op: str, x: Tensor, tensors: dict) -> None:
    if not isinstance(x, Tensor) or x.ndim < 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected an input of shape (N, C, ...), got {shape}")
    require_float(op, x)
    for name, t in tensors.items():
        if t is not None and not isinstance(t, Tensor):
            raise DTypeError(f"{op}: {name} must be a minidl Tensor or None, got "
                             f"{type(t).__name__}")
        if t is not None and tuple(t.shape) != (x.shape[1],):
            raise ShapeError(f"{op}: input of shape {tuple(x.shape)} has {x.shape[1]} "
                             f"channels, but {name} has shape {tuple(t.shape)}")


def batch_norm_impl(op: str, x: Tensor, running_mean: Optional[Tensor],
                    running_var: Optional[Tensor], weight: Optional[Tensor],
                    bias: Optional[Tensor], training: bool, momentum: float,
                    eps: float) -> Tensor:
    """``batch_norm``, shared with the BatchNorm layers; ``op`` names the caller in errors
    (``BatchNorm2d(16)``)."""
    _check_batch_norm(op, x, {"running_mean": running_mean, "running_var": running_var,
                              "weight": weight, "bias": bias})
    check_eps(op, eps)
    check_momentum(op, momentum)
    axes = (0,) + tuple(range(2, x.ndim))
    per_channel = (1, -1) + (1,) * (x.ndim - 2)  # a (C,) vector broadcast along axis 1
    if training:
        n = x._array.size // x.shape[1]
        if n <= 1:
            raise ShapeError(f"{op}: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}")
        mean, var = batch_statistics(x._array, axes)
        if running_mean is not None:
            update_running(running_mean, mean, momentum)
        if running_var is not None:
            update_running(running_var, var * (n / (n - 1)), momentum)
        y = BatchNormalize.apply(x, axes, eps, mean, (var + eps) ** -0.5)
        y = y if weight is None else y * weight.reshape(per_channel)
        return y if bias is None else y + bias.reshape(per_channel)
    if running_mean is None or running_var is None:
        raise ConfigError(f"{op}: running_mean and running_var are needed when "
                          "training=False")
    # Eval: y = x * scale + shift, scale = weight / sqrt(running_var + eps),
    # shift = bias - running_mean * scale. The buffers enter as copies (constants).
    scale = Tensor._make((running_var._array + eps) ** -0.5, False)
    if weight is not None:
        scale = weight * scale
    shift = Tensor._make(-running_mean._array, False) * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(per_channel) + shift.reshape(per_channel)


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over (N, C, *) per channel (PyTorch's signature; the conventions
    are in the module docstring). In training, running_mean/running_var (if not None) are
    updated in place; in eval they normalise."""
    return batch_norm_impl("batch_norm", input, running_mean, running_var, weight, bias,
                           training, momentum, eps)


def layer_norm_impl(op: str, x: Tensor, normalized_shape: Union[int, Sequence[int]],
                    weight: Optional[Tensor], bias: Optional[Tensor], eps: float) -> Tensor:
    """``layer_norm``, shared with the ``LayerNorm`` layer; ``op`` names the caller in errors
    (``LayerNorm((10,), ...)``)."""
    shape = check_normalized_shape(op, normalized_shape)
    check_eps(op, eps)
    if not isinstance(x, Tensor) or x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) \
            != shape:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected an input whose trailing dimensions are {shape}, got "
                         f"shape {got}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise DTypeError(f"{op}: {name} must be a minidl Tensor or None, got "
                             f"{type(t).__name__}")
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"{op}: {name} has shape {tuple(t.shape)}, expected {shape}")
    return fused_layer_norm(x, weight, bias, tuple(range(x.ndim - len(shape), x.ndim)), eps)


def layer_norm_composed(x: Tensor, axes: Tuple[int, ...], weight: Optional[Tensor],
                        bias: Optional[Tensor], eps: float) -> Tensor:
    """Layer normalization made of primitives: the twin that ``tests/test_sequence_fused_twins.py``
    compares the fused ``minidl/ops/layer_norm.py`` (what ``layer_norm`` runs) with."""
    y = normalize(x, axes, eps)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias


def layer_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its trailing ``normalized_shape`` dimensions, then apply the
    elementwise weight and bias (both of shape ``normalized_shape``)."""
    return layer_norm_impl("layer_norm", input, normalized_shape, weight, bias, eps)
