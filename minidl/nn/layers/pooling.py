"""Pooling layers (no parameters): MaxPool1d/2d, AvgPool1d/2d, the adaptive pools
AdaptiveAvgPool1d/2d and AdaptiveMaxPool1d/2d, and MaxUnpool2d.

The math is in ``minidl/ops/pool.py``, ``pool1d.py`` and ``pool_indices.py``; these modules
hold the hyperparameters and name themselves in error messages.

Read next: ``resampling.py``.
"""
from __future__ import annotations

from minidl.config_checks import check_bool
from minidl.nn.module import Module
from minidl.ops.conv import pair
from minidl.ops.pool import adaptive_avg_pool2d_impl, avg_pool2d_impl, max_pool2d_impl, pool_window
from minidl.ops.pool1d import (
    adaptive_avg_pool1d_impl,
    adaptive_max_pool1d_impl,
    avg_pool1d_impl,
    max_pool1d_impl,
    window_1d,
)
from minidl.ops.pool_indices import adaptive_max_pool2d_impl, max_unpool2d_impl
from minidl.tensor import Tensor


class _MaxPool(Module):
    """The max pools' hyperparameters, checked at construction, and PyTorch's repr."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        check_bool(self._label(), "return_indices", return_indices)
        check_bool(self._label(), "ceil_mode", ceil_mode)
        self._window(self._label())

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """The maximum of each kernel_size window along L (see MaxPool2d)."""

    def _window(self, label: str):
        return window_1d(label, self.kernel_size, self.stride, self.padding,
                         self.dilation)

    def forward(self, input: Tensor):
        label = self._label()
        return max_pool1d_impl(label, input, self._window(label), self.ceil_mode,
                               self.return_indices)


class MaxPool2d(_MaxPool):
    """The maximum of each kernel_size window, moving by stride (default: kernel_size), over
    an input padded with -inf (padding at most half the kernel). The gradient goes to the
    first maximum of each window, as in PyTorch. ceil_mode keeps the last, partial windows;
    return_indices also returns each maximum's flat position (for MaxUnpool2d)."""

    def _window(self, label: str):
        return pool_window(label, self.kernel_size, self.stride, self.padding,
                           self.dilation)

    def forward(self, input: Tensor):
        label = self._label()
        return max_pool2d_impl(label, input, self._window(label), self.ceil_mode,
                               self.return_indices)


class _AvgPool(Module):
    """The average pools' hyperparameters, checked at construction, and PyTorch's repr."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        check_bool(self._label(), "ceil_mode", ceil_mode)
        check_bool(self._label(), "count_include_pad", count_include_pad)
        self._window(self._label())

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPool):
    """The mean of each window along L (see AvgPool2d). Its sizes are kept as 1-tuples, as
    PyTorch's (they show in the repr)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        def single(value):
            return None if value is None else tuple(value) if isinstance(
                value, (tuple, list)) else (value,)
        super().__init__(single(kernel_size), single(stride), single(padding), ceil_mode,
                         count_include_pad)

    def _window(self, label: str):
        return window_1d(label, self.kernel_size, self.stride, self.padding)

    def forward(self, input: Tensor) -> Tensor:
        label = self._label()
        return avg_pool1d_impl(label, input, self._window(label), self.ceil_mode,
                               self.count_include_pad)


class AvgPool2d(_AvgPool):
    """The mean of each window; zero padding counts in the mean unless count_include_pad is
    False; divisor_override divides every window's sum by that number instead."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        self.divisor_override = divisor_override
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def _window(self, label: str):
        return pool_window(label, self.kernel_size, self.stride, self.padding)

    def forward(self, input: Tensor) -> Tensor:
        label = self._label()
        return avg_pool2d_impl(label, input, self._window(label), self.ceil_mode,
                               self.count_include_pad, self.divisor_override)


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling along L to a fixed length, whatever the input length."""

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d_impl(self._label(), input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed output size, whatever the input size (PyTorch's windows);
    ``AdaptiveAvgPool2d(1)`` is global average pooling. None keeps that input dimension."""

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d_impl(self._label(), input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling along L to a fixed length (PyTorch's adaptive windows); return_indices
    also returns each maximum's position along L."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = check_bool(self._label(), "return_indices", return_indices)

    def forward(self, input: Tensor):
        return adaptive_max_pool1d_impl(self._label(), input, self.output_size,
                                        self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed output size (PyTorch's adaptive windows); return_indices also
    returns each maximum's flat position in its (H, W) plane."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        check_bool(self._label(), "return_indices", return_indices)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return adaptive_max_pool2d_impl(self._label(), input, self.output_size,
                                        self.return_indices)


class MaxUnpool2d(Module):
    """Max pooling's partial inverse: zeros, with each input element put back where
    ``indices`` (MaxPool2d's return_indices) says; ``output_size`` picks among the sizes that
    pool to the input's."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        label = f"MaxUnpool2d(kernel_size={kernel_size})"
        self.kernel_size = pair(kernel_size, "kernel_size", label)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", label)
        self.padding = pair(padding, "padding", label)
        pool_window(self._label(), self.kernel_size, self.stride, self.padding)

    def _label(self) -> str:
        return f"MaxUnpool2d({self.extra_repr()})"

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        label = self._label()
        window = pool_window(label, self.kernel_size, self.stride, self.padding)
        return max_unpool2d_impl(label, input, indices, window, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
