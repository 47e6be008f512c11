"""Conv2d: a learned 2-D convolution layer over (N, C, H, W) images.

The math (im2col, the GEMM, the backward) lives in ``minidl/ops/conv.py``; this file holds the
parameters, their initialisation and the checks that name the layer in error messages.

Read next: ``pooling.py``.
"""
from __future__ import annotations

from typing import Any

from minidl.config_checks import check_bool, check_positive_int
from minidl.creation import empty
from minidl.errors import ConfigError
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.ops.conv import conv2d_impl, make_window
from minidl.tensor import Tensor


class Conv2d(Module):
    """y = conv2d(x, weight, bias, stride, padding, dilation, groups), PyTorch's signature.

    ``weight`` has shape (out_channels, in_channels // groups, kH, kW) and ``bias``
    (out_channels,). Both start as PyTorch's do: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = in_channels // groups * kH * kW (kaiming_uniform_ with a = sqrt(5) for the
    weight). With groups > 1 the channels are split into groups convolved separately
    (groups = in_channels: one filter per channel, a "depthwise" convolution).
    Only ``padding_mode="zeros"`` is implemented."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__()
        label = f"Conv2d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        for name, n in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
            check_positive_int(label, name, n)
        if in_channels % groups or out_channels % groups:
            raise ConfigError(f"{label}: in_channels ({in_channels}) and out_channels "
                              f"({out_channels}) must both be divisible by groups ({groups})")
        check_bool(label, "bias", bias)
        if padding_mode != "zeros":
            raise ConfigError(f"{label}: only padding_mode='zeros' is supported, got "
                              f"{padding_mode!r}")
        window = make_window(label, kernel_size, stride, padding, dilation)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = window.kernel, window.stride
        self.padding, self.dilation = window.padding, window.dilation
        self.padding_mode = padding_mode
        self.weight = Parameter(empty(out_channels, in_channels // groups, *window.kernel,
                                      dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        label = f"Conv2d({self.extra_repr()})"
        window = make_window(label, self.kernel_size, self.stride, self.padding, self.dilation)
        return conv2d_impl(label, input, self.weight, self.bias, window, self.groups)

    def extra_repr(self) -> str:
        """As PyTorch's: the stride always, the other settings where not the default."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0, 0)), ("dilation", (1, 1)), ("groups", 1)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text if self.bias is not None else text + ", bias=False"
