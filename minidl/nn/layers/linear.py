"""Linear (fully connected) layer, and the shape helpers Identity, Flatten, Unflatten.

Read next: ``minidl/nn/functional.py``, where the math of ``Linear`` (and ``Dropout``) lives.
"""
from __future__ import annotations

from typing import Any, Sequence

from minidl.config_checks import (
    ConfigTypeError,
    check_bool,
    check_number,
    check_positive_int,
    is_int,
)
from minidl.creation import empty
from minidl.errors import ConfigError
from minidl.nn import functional as F
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.ops import normalize_dim
from minidl.tensor import Tensor


class Linear(Module):
    """y = x W^T + b, for x of shape (*, in_features) -> y of shape (*, out_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,). Both start
    as PyTorch's do: U(-1/sqrt(in_features), 1/sqrt(in_features)) (kaiming_uniform_ with
    a = sqrt(5) for the weight), which keeps Var(y) close to Var(x) / 3."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        check_positive_int("Linear", "in_features", in_features)
        check_positive_int("Linear", "out_features", out_features)
        check_bool("Linear", "bias", bias)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        label = f"{type(self).__name__}({self.extra_repr()})"
        return F.linear_impl(label, input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x. Accepts (and ignores) any constructor arguments, like PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check_number("Flatten", "start_dim", start_dim, integer=True)
        self.end_dim = check_number("Flatten", "end_dim", end_dim, integer=True)

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: Unflatten(1, (1, 28, 28)) turns
    (N, 784) into (N, 1, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]):
        super().__init__()
        self.dim = check_number("Unflatten", "dim", dim, integer=True)
        sizes = unflattened_size
        if not isinstance(sizes, (tuple, list)) or not sizes or not all(map(is_int, sizes)):
            raise ConfigTypeError(f"Unflatten: invalid unflattened_size value: {sizes!r} "
                                  "(expected a non-empty sequence of integers)")
        if not all(n >= 1 or n == -1 for n in sizes) or list(sizes).count(-1) > 1:
            raise ConfigError(f"Unflatten: invalid unflattened_size value: {sizes!r} (expected "
                              "positive sizes, at most one of them -1)")
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        axis = normalize_dim(self.dim, input.ndim, "Unflatten")
        return input.reshape(input.shape[:axis] + self.unflattened_size + input.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
