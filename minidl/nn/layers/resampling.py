"""Resampling layers (no parameters): Upsample, PixelShuffle, PixelUnshuffle, Fold, Unfold.

The math is in ``minidl/ops/resample.py`` and ``minidl/ops/fold.py``; these modules hold the
settings, and Fold/Unfold check theirs at construction, naming themselves.

Read next: ``padding.py`` (the padding layers).
"""
from __future__ import annotations

from minidl.nn.module import Module
from minidl.ops.conv import make_window, pair
from minidl.ops.fold import fold_impl, unfold_impl
from minidl.ops.resample import MODES, interpolate, pixel_shuffle, pixel_unshuffle
from minidl.tensor import Tensor


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with ``F.interpolate``: mode "nearest",
    "linear" (3-D input) or "bilinear" (4-D input), align_corners for the last two."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Upsample: mode must be one of {sorted(MODES)}, got {mode!r}")
        self.name = type(self).__name__
        if isinstance(scale_factor, (tuple, list)):  # stored as floats, as PyTorch
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor is not None:
            scale_factor = float(scale_factor)
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        shown = (f"size={self.size!r}" if self.scale_factor is None
                 else f"scale_factor={self.scale_factor!r}")
        return f"{shown}, mode={self.mode!r}"


class PixelShuffle(Module):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), r = upscale_factor."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), r = downscale_factor: PixelShuffle's inverse."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Unfold(Module):
    """(N, C, H, W) -> (N, C*kh*kw, L): every window as a column (im2col)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride
        make_window(f"Unfold({self.extra_repr()})", kernel_size, stride, padding, dilation)

    def forward(self, input: Tensor) -> Tensor:
        label = f"Unfold({self.extra_repr()})"
        window = make_window(label, self.kernel_size, self.stride, self.padding, self.dilation)
        return unfold_impl(label, input, window)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """(N, C*kh*kw, L) -> (N, C, H, W): each column added back onto its window (col2im; the
    adjoint of Unfold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride
        label = f"Fold({self.extra_repr()})"
        make_window(label, kernel_size, stride, padding, dilation)
        if min(pair(output_size, "output_size", label)) <= 0:
            raise ValueError(f"{label}: output_size must be positive, got {output_size!r}")

    def forward(self, input: Tensor) -> Tensor:
        label = f"Fold({self.extra_repr()})"
        window = make_window(label, self.kernel_size, self.stride, self.padding, self.dilation)
        return fold_impl(label, input, pair(self.output_size, "output_size", label), window)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
