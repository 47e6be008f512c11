"""Weight initialization (``torch.nn.init``): fill a tensor in place, keeping its dtype and device.

Why the scale matters: a layer y = W x with fan_in inputs has Var(y) = fan_in Var(W) Var(x), so
Var(W) = 1 / fan_in keeps activations from growing or shrinking layer after layer. The schemes:

    xavier (Glorot):  Var(W) = gain^2 * 2 / (fan_in + fan_out)   (tanh/sigmoid networks)
    kaiming (He):     Var(W) = gain^2 / fan                       (relu networks; fan = fan_in
                                                                   or fan_out, see ``mode``)

and U(-b, b) has variance b^2 / 3, so a uniform init uses b = sqrt(3) * std. Beyond scale:
``trunc_normal_`` (no outliers: transformers, ViT), ``orthogonal_`` (every singular value
equal: deep and recurrent nets), ``eye_`` and ``dirac_`` (layers that start as the identity),
``sparse_`` (each unit sees few inputs). Random numbers come from minidl's generator for the
tensor's device (``minidl.manual_seed``), or ``generator``. Every function runs under
``no_grad`` and returns its tensor.

Read next: ``minidl/nn/layers/linear.py``, whose ``reset_parameters`` uses kaiming_uniform_.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np

from minidl import backend
from minidl.config_checks import ConfigTypeError, check_choice, check_finite, check_number, is_real
from minidl.creation import rand, randn
from minidl.errors import ConfigError, ShapeError
from minidl.grad_mode import no_grad
from minidl.random_streams import Generator
from minidl.tensor import Tensor

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The factor by which to scale the std of the init for ``nonlinearity``: it undoes how
    much the activation shrinks the signal's second moment.

        linear, conv*, sigmoid: 1    tanh: 5/3    relu: sqrt(2)
        leaky_relu: sqrt(2 / (1 + slope^2)), slope = param (default 0.01)    selu: 3/4
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif is_real(param) and math.isfinite(param):
            slope = float(param)
        else:
            raise ConfigTypeError(f"calculate_gain: negative_slope {param!r} is not a valid "
                                  "number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ConfigError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one "
                      f"of {', '.join(_LINEAR_LIKE)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> Tuple[int, int]:
    """(fan_in, fan_out) of a weight: a Linear weight (out, in) has fan_in = in and
    fan_out = out; a conv weight (out_channels, in_channels, kh, kw) multiplies both by the
    receptive field size kh * kw (each output sums in_channels * kh * kw inputs)."""
    _check_tensor("init", tensor)
    if tensor.ndim < 2:
        raise ShapeError(f"init: fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (shape {tuple(tensor.shape)})")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    check_choice("init", "mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check_tensor(op: str, tensor: Tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise ConfigTypeError(f"{op}: expected a minidl Tensor to fill, got "
                              f"{type(tensor).__name__}")


def _fill(tensor: Tensor, array) -> Tensor:
    """Copy ``array`` into ``tensor`` in place (cast to its dtype; bumps its version)."""
    with no_grad():
        tensor.copy_(array)
    return tensor


def _draw_dtype(tensor: Tensor):
    """Random draws in float64 for float64 tensors, else float32 (then cast): float16 and
    integer tensors can be filled too, and float32 tensors never go through float64."""
    return np.float64 if tensor.dtype == np.float64 else np.float32


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Optional[Generator] = None) -> Tensor:
    """Fill with samples of U(a, b)."""
    _check_tensor("uniform_", tensor)
    check_finite("uniform_", "a", a)
    check_finite("uniform_", "b", b)
    u = rand(tensor.shape, dtype=_draw_dtype(tensor), device=tensor.device,
             generator=generator)._array
    return _fill(tensor, u * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Optional[Generator] = None) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    _check_tensor("normal_", tensor)
    check_finite("normal_", "mean", mean)
    check_finite("normal_", "std", std)
    check_number("normal_", "std", std, 0)
    z = randn(tensor.shape, dtype=_draw_dtype(tensor), device=tensor.device,
              generator=generator)._array
    return _fill(tensor, z * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _check_tensor("constant_", tensor)
    check_number("constant_", "val", val)
    with no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Optional[Generator] = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))  (std = gain sqrt(2/(in+out)))."""
    check_finite("xavier_uniform_", "gain", gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:  # nothing to fill
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Optional[Generator] = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    check_finite("xavier_normal_", "gain", gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:  # nothing to fill
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Optional[Generator] = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).
    ``a`` is the leaky_relu slope. Linear and Conv2d use a = sqrt(5): then gain = sqrt(2 / 6)
    and b = sqrt(3) gain / sqrt(fan_in) = 1 / sqrt(fan_in), PyTorch's default init."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:  # a tensor with a zero-size dimension has nothing to fill (PyTorch: a no-op)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Optional[Generator] = None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:  # a tensor with a zero-size dimension has nothing to fill (PyTorch: a no-op)
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)



def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Optional[Generator] = None) -> Tensor:
    """Fill with N(mean, std^2) restricted to [a, b] (absolute bounds, not in units of std):
    the normal's density there, renormalized. Drawn by rejection: draws outside [a, b] are
    drawn again, so every kept sample has exactly that distribution (PyTorch inverts the CDF
    instead; same distribution, other numbers). Each round keeps a share P(a <= z <= b) of
    what is left, so an interval holding under 1e-4 of the mass is refused rather than looped
    on."""
    name = "trunc_normal_"
    _check_tensor(name, tensor)
    for what, value in (("mean", mean), ("std", std), ("a", a), ("b", b)):
        check_finite(name, what, value)
    check_number(name, "std", std, 0)
    if not a < b:
        raise ConfigError(f"{name}: expected a < b, got a={a!r}, b={b!r}")
    if std == 0 or tensor.numel() == 0:
        return constant_(tensor, min(max(mean, a), b))
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2)))
                  - math.erf((a - mean) / (std * math.sqrt(2))))
    if mass < 1e-4:
        raise ConfigError(f"{name}: [a, b] = [{a}, {b}] holds only {mass:.2g} of N({mean}, "
                          f"{std}^2); rejection sampling would take too long")
    z = randn(tensor.shape, dtype=_draw_dtype(tensor), device=tensor.device,
              generator=generator)._array * std + mean
    outside = (z < a) | (z > b)
    while bool(outside.any()):
        redraw = randn(int(outside.sum()), dtype=z.dtype, device=tensor.device,
                       generator=generator)._array * std + mean
        z[outside] = redraw
        outside = (z < a) | (z > b)
    return _fill(tensor, z)


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: Optional[Generator] = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): the tensor seen
    as (rows, cols), cols = the other dimensions flattened, has orthonormal rows (rows <= cols)
    or columns (rows >= cols). A matrix of Gaussians A = QR (QR decomposition) gives Q; fixing
    the signs, Q diag(sign(diag R)), makes Q uniform over orthogonal matrices (Haar), not just
    orthogonal. Keeps every singular value at ``gain``: signals neither grow nor shrink."""
    name = "orthogonal_"
    _check_tensor(name, tensor)
    check_finite(name, "gain", gain)
    if tensor.ndim < 2:
        raise ShapeError(f"{name}: only tensors with 2 or more dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    a = randn((rows, cols), dtype=_draw_dtype(tensor), device=tensor.device,
              generator=generator)._array
    if rows < cols:  # QR of the tall transpose: its orthonormal columns become our rows
        a = a.T
    xp = backend.get_array_module(a)
    q, r = xp.linalg.qr(a)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity: ones on the main diagonal (also when it is not
    square), zeros elsewhere. A Linear layer so filled passes its input through."""
    _check_tensor("eye_", tensor)
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: only 2-D tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    xp = backend.get_array_module(tensor._array)
    return _fill(tensor, xp.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a convolution weight (out, in, k...) of 3 to 5 dimensions with the Dirac delta:
    within each of the ``groups`` blocks of out / groups output channels, output channel d
    has a 1 at input channel d and the kernel's centre, so the convolution copies its first
    min(out / groups, in) input channels (identity-initialized deep nets, Zagoruyko & Komodakis
    2017). Everything else is 0."""
    name = "dirac_"
    _check_tensor(name, tensor)
    check_number(name, "groups", groups, 1, integer=True)
    if tensor.ndim not in (3, 4, 5):
        raise ShapeError(f"{name}: only tensors with 3, 4 or 5 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    if tensor.shape[0] % groups:
        raise ConfigError(f"{name}: dimension 0 ({tensor.shape[0]}) must be divisible by "
                          f"groups={groups}")
    per_group = tensor.shape[0] // groups
    xp = backend.get_array_module(tensor._array)
    delta = xp.zeros(tuple(tensor.shape), dtype=tensor.dtype)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            delta[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, delta)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Optional[Generator] = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) draws, then zero ceil(sparsity * rows) entries of
    every column, at rows chosen at random (Martens, 2010): each unit then sees only a few
    inputs. The rows to zero come from sorting uniform draws, a random permutation per
    column (PyTorch draws a randperm per column: same law, other numbers)."""
    name = "sparse_"
    _check_tensor(name, tensor)
    check_number(name, "sparsity", sparsity, 0, 1)
    check_finite(name, "std", std)
    if tensor.ndim != 2:
        raise ShapeError(f"{name}: only 2-D tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    normal_(tensor, 0.0, std, generator)
    if num_zeros == 0 or cols == 0:
        return tensor
    u = rand((rows, cols), dtype=np.float64, device=tensor.device, generator=generator)._array
    xp = backend.get_array_module(u)
    zeroed_rows = xp.argsort(u, axis=0)[:num_zeros]  # (num_zeros, cols)
    values = tensor._array.copy()
    values[zeroed_rows, xp.arange(cols)] = 0
    return _fill(tensor, values)


def default_layer_init_(weight: Tensor, bias: Optional[Tensor]) -> None:
    """How PyTorch's Linear and Conv2d start: W ~ kaiming_uniform_(a=sqrt(5)), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same interval."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(_calculate_fan_in_and_fan_out(weight)[0])
        uniform_(bias, -bound, bound)
