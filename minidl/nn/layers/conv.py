"""Convolution layers: Conv1d, Conv2d, and the transposed ConvTranspose1d, ConvTranspose2d.

The math (im2col, the GEMM, the backward) lives in ``minidl/ops/conv.py`` and
``minidl/ops/conv_transpose.py``; this file holds the parameters, their initialisation and the
checks that name the layer in error messages.

Read next: ``pooling.py``.
"""
from __future__ import annotations

from typing import Any

from minidl.config_checks import check_bool, check_positive_int
from minidl.creation import empty
from minidl.errors import ConfigError, ShapeError
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.ops.conv import conv2d_impl, conv_window
from minidl.ops.conv_transpose import (
    conv1d_impl,
    conv1d_window,
    conv_transpose1d_impl,
    conv_transpose2d_impl,
    transpose_window,
    transpose_window_1d,
)
from minidl.tensor import Tensor


def check_conv_args(label: str, in_channels, out_channels, groups, bias, padding_mode) -> None:
    """ConfigErrors naming the layer for channel counts, groups, bias and padding_mode."""
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


class _Conv(Module):
    """What the four layers share: the parameters, PyTorch's initialisation and repr.

    ``weight`` has shape (out_channels, in_channels // groups, *kernel_size) -- for the
    transposed layers (in_channels, out_channels // groups, *kernel_size) -- and ``bias``
    (out_channels,). Both start as PyTorch's do: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in
    = weight.shape[1] * the kernel's size (kaiming_uniform_ with a = sqrt(5) for the weight).
    With groups > 1 the channels are split into groups convolved separately (groups =
    in_channels: one filter per channel, a "depthwise" convolution). Only
    ``padding_mode="zeros"`` is implemented."""

    transposed = False

    def _setup(self, label, in_channels, out_channels, kernel, groups, bias, padding_mode,
               device, dtype) -> None:
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(*shape, *kernel, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        """As PyTorch's: the stride always, the other settings where not the default."""
        n = len(self.kernel_size)
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0,) * n), ("dilation", (1,) * n),
                              ("output_padding", (0,) * n), ("groups", 1)):
            if getattr(self, name, default) != default:
                text += f", {name}={getattr(self, name)}"
        return text if self.bias is not None else text + ", bias=False"

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Conv1d(_Conv):
    """y = conv1d(x, weight, bias, stride, padding, dilation, groups) over (N, C, L); padding
    may be an int, "valid" or "same"."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__()
        label = f"Conv1d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        check_conv_args(label, in_channels, out_channels, groups, bias, padding_mode)
        window, _ = conv1d_window(label, kernel_size, stride, padding, dilation)
        self.kernel_size, self.stride = window.kernel[1:], window.stride[1:]
        self.padding = padding if isinstance(padding, str) else window.padding[1:]
        self.dilation = window.dilation[1:]
        self._setup(label, in_channels, out_channels, self.kernel_size, groups, bias,
                    padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        label = self._label()
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        window, extra = conv1d_window(label, self.kernel_size, self.stride, padding,
                                      self.dilation)
        return conv1d_impl(label, input, self.weight, self.bias, window, self.groups, extra)


class Conv2d(_Conv):
    """y = conv2d(x, weight, bias, stride, padding, dilation, groups), PyTorch's signature;
    padding may be an int, a pair, "valid" or "same"."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__()
        label = f"Conv2d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        check_conv_args(label, in_channels, out_channels, groups, bias, padding_mode)
        window, _ = conv_window(label, kernel_size, stride, padding, dilation)
        self.kernel_size, self.stride = window.kernel, window.stride
        self.padding = padding if isinstance(padding, str) else window.padding
        self.dilation = window.dilation
        self._setup(label, in_channels, out_channels, window.kernel, groups, bias,
                    padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        label = self._label()
        window, extra = conv_window(label, self.kernel_size, self.stride, self.padding,
                                    self.dilation)
        return conv2d_impl(label, input, self.weight, self.bias, window, self.groups, extra)


class _ConvTranspose(_Conv):
    """The transposed layers' shared forward: ``output_size`` (the last dims of the wanted
    output) picks output_padding, as PyTorch."""

    transposed = True

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n = len(self.kernel_size)
        wanted = tuple(output_size)[-n:]
        base = tuple((size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in zip(
            input.shape[-n:], self.stride, self.padding, self.dilation, self.kernel_size))
        extra = tuple(w - b for w, b in zip(wanted, base))
        if len(wanted) != n or any(not 0 <= e < s for e, s in zip(extra, self.stride)):
            raise ShapeError(f"{self._label()}: output_size {tuple(output_size)} must be "
                             f"between {base} and that plus stride - 1 {self.stride}")
        return extra


class ConvTranspose1d(_ConvTranspose):
    """y = conv_transpose1d(x, weight, bias, stride, padding, output_padding, groups,
    dilation) over (N, C_in, L): the adjoint of Conv1d, which upsamples by the stride."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None):
        super().__init__()
        label = f"ConvTranspose1d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        check_conv_args(label, in_channels, out_channels, groups, bias, padding_mode)
        window, extra = transpose_window_1d(label, kernel_size, stride, padding,
                                            output_padding, dilation)
        self.kernel_size, self.stride = window.kernel[1:], window.stride[1:]
        self.padding, self.dilation = window.padding[1:], window.dilation[1:]
        self.output_padding = extra[1:]
        self._setup(label, in_channels, out_channels, self.kernel_size, groups, bias,
                    padding_mode, device, dtype)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        label = self._label()
        window, extra = transpose_window_1d(label, self.kernel_size, self.stride, self.padding,
                                            self._output_padding(input, output_size),
                                            self.dilation)
        return conv_transpose1d_impl(label, input, self.weight, self.bias, window, extra,
                                     self.groups)


class ConvTranspose2d(_ConvTranspose):
    """y = conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups,
    dilation) over (N, C_in, H, W): the adjoint of Conv2d, which upsamples by the stride."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None):
        super().__init__()
        label = f"ConvTranspose2d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        check_conv_args(label, in_channels, out_channels, groups, bias, padding_mode)
        window, extra = transpose_window(label, kernel_size, stride, padding, output_padding,
                                         dilation)
        self.kernel_size, self.stride = window.kernel, window.stride
        self.padding, self.dilation, self.output_padding = window.padding, window.dilation, extra
        self._setup(label, in_channels, out_channels, window.kernel, groups, bias,
                    padding_mode, device, dtype)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        label = self._label()
        window, extra = transpose_window(label, self.kernel_size, self.stride, self.padding,
                                         self._output_padding(input, output_size),
                                         self.dilation)
        return conv_transpose2d_impl(label, input, self.weight, self.bias, window, extra,
                                     self.groups)
