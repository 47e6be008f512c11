"""conv1d, and the transposed convolutions conv_transpose1d and conv_transpose2d.

* conv1d is conv2d over an image of height 1: the input (N, C, L) becomes (N, C, 1, L), the
  weight (O, C/g, k) becomes (O, C/g, 1, k), and the unit height is removed afterwards.
* A transposed convolution is the adjoint of a convolution: the map x -> gx of conv2d's
  backward, ``ConvInputGrad`` in ``conv.py``, used as a forward. Each input element spreads
  W[c, :, :, :] times itself over a kernel-sized patch of the output, the patches s apart:

      y[n, g*Og + o, s*h + d*i - p, s*w + d*j - p] += x[n, g*Cg + c, h, w] * W[g*Cg + c, o, i, j]

  with weight (C_in, C_out/groups, kH, kW), PyTorch's layout (the conv's (out, in) swapped).
  Output size per dimension: (n - 1)*s - 2p + d*(k - 1) + output_padding + 1 (output_padding
  keeps, at the bottom/right, rows and columns that the padding p would crop).
  ConvInputGrad's own backward gives the gradients in x and W, and their derivatives (the
  three conv Functions are bilinear), so nothing new needs a backward here.

Read next: ``resample.py`` (interpolate, pixel_shuffle).
"""
from __future__ import annotations

from minidl.errors import DTypeError, ShapeError
from minidl.ops.conv import ConvInputGrad, conv2d_impl, conv_window, make_window, pair
from minidl.ops.dtype_checks import require_float
from minidl.ops.pool1d import one
from minidl.ops.shape import reshape, squeeze, unsqueeze
from minidl.tensor import Tensor


def _check_ndim(op: str, x: Tensor, weight: Tensor, ndim: int) -> None:
    """A ShapeError unless input and weight have the ranks a ``ndim``-D convolution takes."""
    if not isinstance(x, Tensor) or x.ndim not in (ndim + 1, ndim + 2):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a {ndim + 2}-D (batched) or {ndim + 1}-D (unbatched) "
                         f"input, got {shape}")
    if not isinstance(weight, Tensor) or weight.ndim != ndim + 2:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(f"{op}: expected a {ndim + 2}-D weight, got {shape}")


def conv1d_window(op: str, kernel_size, stride, padding, dilation):
    """A 1 x k conv Window (and "same"'s extra padding) from 1-D hyperparameters."""
    padding = padding if isinstance(padding, str) else (0, one(padding, "padding", op))
    return conv_window(op, (1, one(kernel_size, "kernel_size", op)),
                       (1, one(stride, "stride", op)), padding,
                       (1, one(dilation, "dilation", op)))


def conv1d_impl(op: str, x: Tensor, weight: Tensor, bias, window, groups: int,
                extra=(0, 0)) -> Tensor:
    """``conv1d`` with a checked 1 x k Window, shared with the ``Conv1d`` layer."""
    _check_ndim(op, x, weight, 1)
    if isinstance(groups, int) and groups > 0 and x.shape[-2] != weight.shape[1] * groups:
        raise ShapeError(f"{op}: expected input with {weight.shape[1] * groups} channels, got "
                         f"shape {tuple(x.shape)}")
    y = conv2d_impl(op, unsqueeze(x, -2), unsqueeze(weight, 2), bias, window, groups, extra)
    return squeeze(y, -2)


def conv1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) with weight (O, C/groups, k), PyTorch semantics; padding
    may be an int, "valid" or "same"."""
    kernel = weight.shape[-1] if isinstance(weight, Tensor) and weight.ndim == 3 else 1
    window, extra = conv1d_window("conv1d", kernel, stride, padding, dilation)
    return conv1d_impl("conv1d", input, weight, bias, window, groups, extra)


def check_transpose_input(op: str, x: Tensor, weight: Tensor, bias, groups: int,
                          ndim: int = 2) -> None:
    """Errors naming ``op`` for an input, weight (C_in, C_out/g, *kernel) and bias of a
    ``ndim``-D transposed convolution that do not fit together."""
    if not isinstance(groups, int) or groups <= 0 or weight.shape[0] % groups:
        raise ValueError(f"{op}: groups must be a positive divisor of in_channels "
                         f"{weight.shape[0]}, got {groups!r}")
    if x.shape[-ndim - 1] != weight.shape[0]:
        raise ShapeError(f"{op}: expected input with {weight.shape[0]} channels (the weight's "
                         f"first dimension), got shape {tuple(x.shape)}")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: expected a bias of shape ({out_channels},), got "
                         f"{tuple(bias.shape)}")
    require_float(op, x)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise DTypeError(f"{op}: input is {x.dtype} but {name} is {t.dtype}; convert one "
                             "of them (e.g. with .float())")


def transpose_window(op: str, kernel_size, stride, padding, output_padding, dilation):
    """The conv Window whose adjoint this is, and the checked output_padding pair. PyTorch
    takes output_padding smaller than the stride or the dilation; minidl only smaller than the
    stride (then the conv of the output has exactly the input's size, what col2im needs)."""
    window = make_window(op, kernel_size, stride, padding, dilation)
    extra = pair(output_padding, "output_padding", op)
    if min(extra) < 0 or any(e >= s for e, s in zip(extra, window.stride)):
        raise ValueError(f"{op}: output_padding {extra} must be non-negative and smaller than "
                         f"the stride {window.stride}")
    return window, extra


def conv_transpose2d_impl(op: str, x: Tensor, weight: Tensor, bias, window, output_padding,
                          groups: int) -> Tensor:
    """``conv_transpose2d`` with a checked Window, shared with the layers."""
    _check_ndim(op, x, weight, 2)
    check_transpose_input(op, x, weight, bias, groups)
    batched = x if x.ndim == 4 else unsqueeze(x, 0)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = window
    size = ((x.shape[-2] - 1) * sh - 2 * ph + dh * (kh - 1) + 1 + output_padding[0],
            (x.shape[-1] - 1) * sw - 2 * pw + dw * (kw - 1) + 1 + output_padding[1])
    if min(size) < 1:
        raise ShapeError(f"{op}: input shape {tuple(x.shape)} with padding {window.padding} "
                         f"gives an output of size {size}, which is empty")
    out_shape = (batched.shape[0], weight.shape[1] * groups) + size
    y = ConvInputGrad.apply(batched, weight, out_shape, window, groups)
    if bias is not None:
        y = y + reshape(bias, (-1, 1, 1))
    return y if x.ndim == 4 else squeeze(y, 0)


def conv_transpose2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 2-D convolution (PyTorch's argument order: groups before dilation):
    the gradient of conv2d in its input, applied to ``input``; weight (C_in, C_out/groups,
    kH, kW)."""
    kernel = weight.shape[2:] if isinstance(weight, Tensor) and weight.ndim == 4 else 1
    window, extra = transpose_window("conv_transpose2d", kernel, stride, padding,
                                     output_padding, dilation)
    return conv_transpose2d_impl("conv_transpose2d", input, weight, bias, window, extra,
                                 groups)


def transpose_window_1d(op: str, kernel_size, stride, padding, output_padding, dilation):
    """``transpose_window`` for a 1 x k kernel from 1-D hyperparameters."""
    return transpose_window(op, (1, one(kernel_size, "kernel_size", op)),
                            (1, one(stride, "stride", op)), (0, one(padding, "padding", op)),
                            (0, one(output_padding, "output_padding", op)),
                            (1, one(dilation, "dilation", op)))


def conv_transpose1d_impl(op: str, x: Tensor, weight: Tensor, bias, window, output_padding,
                          groups: int) -> Tensor:
    """``conv_transpose1d`` with a checked 1 x k Window, shared with the layer."""
    _check_ndim(op, x, weight, 1)
    check_transpose_input(op, x, weight, bias, groups, ndim=1)
    y = conv_transpose2d_impl(op, unsqueeze(x, -2), unsqueeze(weight, 2), bias, window,
                              output_padding, groups)
    return squeeze(y, -2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 1-D convolution over (N, C_in, L); weight (C_in, C_out/groups, k)."""
    kernel = weight.shape[-1] if isinstance(weight, Tensor) and weight.ndim == 3 else 1
    window, extra = transpose_window_1d("conv_transpose1d", kernel, stride, padding,
                                        output_padding, dilation)
    return conv_transpose1d_impl("conv_transpose1d", input, weight, bias, window, extra,
                                 groups)
