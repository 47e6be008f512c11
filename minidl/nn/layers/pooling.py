"""Pooling layers: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (no parameters).

The math is in ``minidl/ops/pool.py``; these modules hold the hyperparameters and name
themselves in error messages.

Read next: ``normalization.py``.
"""
from __future__ import annotations

from minidl.nn.module import Module
from minidl.ops.pool import AvgPool, MaxPool, adaptive_avg_pool2d_impl, pool2d_impl, pool_window
from minidl.tensor import Tensor


class MaxPool2d(Module):
    """The maximum of each kernel_size window, moving by stride (default: kernel_size), over
    an input padded with -inf (padding at most half the kernel). The gradient goes to the
    first maximum of each window, as in PyTorch."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        pool_window(f"MaxPool2d({self.extra_repr()})", kernel_size, stride, padding, dilation)

    def forward(self, input: Tensor) -> Tensor:
        label = f"MaxPool2d({self.extra_repr()})"
        window = pool_window(label, self.kernel_size, self.stride, self.padding, self.dilation)
        return pool2d_impl(label, MaxPool, input, window)

    def extra_repr(self) -> str:
        # (minidl's windows always round the output size down: PyTorch's ceil_mode=False)
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode=False")


class AvgPool2d(Module):
    """The mean of each window; zero padding counts in the mean (PyTorch's default
    count_include_pad=True)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        pool_window(f"AvgPool2d({self.extra_repr()})", kernel_size, stride, padding)

    def forward(self, input: Tensor) -> Tensor:
        label = f"AvgPool2d({self.extra_repr()})"
        window = pool_window(label, self.kernel_size, self.stride, self.padding)
        return pool2d_impl(label, AvgPool, input, window)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size (PyTorch's windows);
    ``AdaptiveAvgPool2d(1)`` is global average pooling. None keeps that input dimension."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d_impl(f"AdaptiveAvgPool2d({self.extra_repr()})", input,
                                        self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
