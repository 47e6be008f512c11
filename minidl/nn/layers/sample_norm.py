"""Normalization layers that work within each sample: GroupNorm, InstanceNorm1d/2d/3d, RMSNorm.

Their math is in ``minidl/nn/sample_norm_functional.py``. They own the learned per-channel (or
per-element) weight and bias; InstanceNorm can also keep running statistics, as BatchNorm
does, whose layer class it extends (the same buffers, checks and repr; another forward).

Read next: ``minidl/nn/losses.py`` (the losses as Modules).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from minidl.config_checks import check_bool, check_positive_int
from minidl.creation import ones
from minidl.errors import ConfigError, ShapeError
from minidl.nn import init
from minidl.nn.layers.normalization import _BatchNorm, add_scale_and_shift, reset_scale_and_shift
from minidl.nn.module import Module
from minidl.nn.normalization_functional import check_eps, check_normalized_shape
from minidl.nn.parameter import Parameter
from minidl.nn.sample_norm_functional import group_norm_impl, instance_norm_impl, rms_norm_impl
from minidl.tensor import Tensor


class GroupNorm(Module):
    """Split the C channels into ``num_groups`` groups and normalise each sample's group over
    its channels and positions; then y = weight[c] * xhat + bias[c] (weight starts at 1, bias
    at 0). Input (N, C, *); the same in training and eval."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True):
        super().__init__()
        check_positive_int("GroupNorm", "num_groups", num_groups)
        check_positive_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ConfigError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                              f"num_groups={num_groups}")
        check_eps("GroupNorm", eps)
        check_bool("GroupNorm", "affine", affine)
        check_bool("GroupNorm", "bias", bias)
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups, num_channels, eps, affine)
        add_scale_and_shift(self, num_channels, affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_scale_and_shift(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm_impl(f"GroupNorm({self.extra_repr()})", input, self.num_groups,
                               self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """Normalise each (sample, channel) over its positions. PyTorch's defaults differ from
    BatchNorm's: ``affine=False`` and ``track_running_stats=False``. With running statistics
    tracked, training updates them (the batch average of each sample's mean and unbiased
    variance) and eval normalises with them; without, both modes use the input's statistics.
    ``momentum=None`` means no update at all, as in PyTorch (no cumulative average here:
    ``num_batches_tracked`` is kept for PyTorch's state_dict but never counts).
    An unbatched input (C, *) is normalised as a batch of one. An input whose channel count is
    not ``num_features`` is an error (PyTorch only warns when there is no weight or buffer)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        label = f"{type(self).__name__}({self.extra_repr()})"
        batched, unbatched = self.ranks
        if not isinstance(input, Tensor) or input.ndim not in self.ranks:
            shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ShapeError(f"{label}: expected input of shape {self.shapes}, got {shape}")
        x = input if input.ndim == batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features:
            raise ShapeError(f"{label}: expected input with {self.num_features} channels, got "
                             f"shape {tuple(input.shape)}")
        y = instance_norm_impl(label, x, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               0.0 if self.momentum is None else self.momentum, self.eps)
        return y if input.ndim == batched else y.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) sequences, or one (C, L)."""

    ranks = (3, 2)  # batched, unbatched
    shapes = "(N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) images, or one (C, H, W)."""

    ranks = (4, 3)
    shapes = "(N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) volumes, or one (C, D, H, W)."""

    ranks = (5, 4)
    shapes = "(N, C, D, H, W) or (C, D, H, W)"


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims
    (weight starts at 1; no bias, no centring). eps=None: the input dtype's machine epsilon."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Optional[float] = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        shape = check_normalized_shape("RMSNorm", normalized_shape)
        if eps is not None:
            check_eps("RMSNorm", eps)
        check_bool("RMSNorm", "elementwise_affine", elementwise_affine)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return rms_norm_impl(f"RMSNorm({self.extra_repr()})", input, self.normalized_shape,
                             self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
