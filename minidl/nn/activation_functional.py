"""Activation functions: relu, leaky_relu, gelu, sigmoid, tanh, softplus, softmax, log_softmax,
and the rest of PyTorch's family:

* exponential   silu, elu, celu, selu         (relu's corner rounded by exp)
* piecewise     hardtanh, relu6, hardsigmoid, hardswish, threshold, prelu
* shrinkage     hardshrink, softshrink, tanhshrink   (small |x| pulled to 0)
* smooth/gated  mish, softsign, logsigmoid, softmin, glu
* random        rrelu (a random slope per element while training)

The piecewise-linear ones multiply x by a constant 0/1 mask (and add a constant where they
clip), so their gradient is that mask, with PyTorch's value at each corner.

All are composed from primitives in ``minidl.ops``: relu, sigmoid, tanh, softmax, expm1, clamp,
chunk, and erf and softplus (``minidl/ops/special.py``), except gelu, one fused node
(``minidl/ops/gelu.py``; its composed twin ``gelu_composed`` is here).
``minidl.nn.functional`` re-exports everything here.

Read next: ``minidl/nn/layers/activation_more.py`` (the layers of the functions added last).
"""
from __future__ import annotations

import math

from minidl import backend
from minidl.config_checks import check_finite, check_number
from minidl.creation import rand
from minidl.errors import ConfigError, DTypeError, ShapeError

# re-exported
from minidl.ops import chunk, clamp, expm1, log_softmax, sigmoid, softmax, tanh, where
from minidl.ops import relu as relu_primitive
from minidl.ops.dims import normalize_dim
from minidl.ops.dtype_checks import require_float
from minidl.ops.gelu import gelu as fused_gelu
from minidl.ops.special import Softplus, erf
from minidl.tensor import Tensor


def check_softplus_beta(op: str, beta: float) -> float:
    """beta: a finite number other than 0 (softplus divides by it)."""
    check_finite(op, "beta", beta)
    if beta == 0:
        raise ConfigError(f"{op}: invalid beta value: 0 (softplus divides by beta)")
    return beta


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """softplus(x) = log(1 + exp(beta x)) / beta, a smooth relu; x itself where
    beta x > threshold, as in PyTorch (there the two differ by less than exp(-threshold) / beta;
    the stable form below does not need the switch, but PyTorch's values and slope 1 do)."""
    require_float("softplus", input)
    check_softplus_beta("softplus", beta)
    check_number("softplus", "threshold", threshold)  # inf turns the switch off
    smooth = Softplus.apply(input) if beta == 1 else Softplus.apply(input * beta) / beta
    linear = backend.asarray(input._array * beta > threshold, bool, input.device)  # (0-d too)
    return where(Tensor._make(linear, False), input, smooth)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), the primitive ``minidl.ops.relu``; ``inplace`` is accepted for PyTorch's
    sake, and the result is always a new tensor (as in the layers)."""
    return relu_primitive(input)


# ------------------------------------------------------------------------------ composed
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """y = x if x > 0 else negative_slope * x;  dy/dx = 1 or negative_slope (the slope at
    x = 0 is negative_slope, as in PyTorch). Composed: x times a constant mask. ``inplace``
    is accepted for PyTorch's sake; the result is always a new tensor (as in the layers)."""
    require_float("leaky_relu", input)
    check_finite("leaky_relu", "negative_slope", negative_slope)
    xp = backend.get_array_module(input._array)
    slope = xp.where(input._array > 0, 1, negative_slope).astype(input.dtype, copy=False)
    return input * Tensor._make(slope, False)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x Phi(x), Phi the standard normal CDF:

        approximate="none":  0.5 x (1 + erf(x / sqrt(2)))
        approximate="tanh":  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    """
    require_float("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ConfigError(f"gelu: invalid approximate value: {approximate!r} (expected one of "
                          "'none', 'tanh')")
    return fused_gelu(input, approximate)  # one node: minidl/ops/gelu.py


def gelu_composed(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU made of primitives: the twin that ``tests/test_sequence_fused_twins.py`` compares
    the fused ``minidl/ops/gelu.py`` (what ``gelu`` runs) with."""
    if approximate == "none":
        return input * 0.5 * (1 + erf(input * (1 / math.sqrt(2))))
    inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
    return input * 0.5 * (1 + tanh(inner))


def constant_like(array, like: Tensor) -> Tensor:
    """An array as a Tensor of like's dtype and device outside the graph: a mask or a fill that
    no gradient flows into. (NumPy returns a 0-d array's comparisons as scalars: this makes
    them arrays again.)"""
    return Tensor._make(backend.asarray(array, like.dtype, like.device), False)


# --------------------------------------------------------------------- exponential family
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish): y = x sigmoid(x);  dy/dx = sigmoid(x) (1 + x (1 - sigmoid(x)))."""
    require_float("silu", input)
    return input * sigmoid(input)


def _exponential_linear(op: str, input: Tensor, alpha: float, input_scale: float) -> Tensor:
    """relu(x) + alpha * expm1(min(x, 0) * input_scale): x for x > 0, a curve falling to
    -alpha for x < 0. min(x, 0) keeps exp from overflowing (and its gradient from being
    inf * 0 = nan) at large positive x. At x = 0 the slope is alpha * input_scale, from the
    left, as in PyTorch."""
    require_float(op, input)
    negative = clamp(input, max=0)
    if input_scale != 1:
        negative = negative * input_scale
    return relu_primitive(input) + expm1(negative) * alpha


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU: y = x if x > 0 else alpha (exp(x) - 1)."""
    check_finite("elu", "alpha", alpha)
    return _exponential_linear("elu", input, alpha, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU: y = x if x > 0 else alpha (exp(x / alpha) - 1): ELU with a slope of 1 at 0 from
    both sides for every alpha (continuously differentiable)."""
    check_celu_alpha("celu", alpha)
    return _exponential_linear("celu", input, alpha, 1.0 / alpha)


def check_celu_alpha(op: str, alpha: float) -> float:
    """alpha: a finite number other than 0 (celu divides by it)."""
    check_finite(op, "alpha", alpha)
    if alpha == 0:
        raise ConfigError(f"{op}: invalid alpha value: 0 (celu divides by alpha)")
    return alpha


# The constants of "Self-Normalizing Neural Networks" (Klambauer et al., 2017), to the digits
# PyTorch uses: with them, inputs of mean 0 and variance 1 keep mean 0 and variance 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """SELU: y = scale * (x if x > 0 else alpha (exp(x) - 1)), alpha = 1.6733, scale = 1.0507."""
    return _exponential_linear("selu", input, SELU_ALPHA, 1.0) * SELU_SCALE


# --------------------------------------------------------------------- piecewise linear
def _clip(input: Tensor, low: float, high: float) -> Tensor:
    """min(max(x, low), high) with slope 1 strictly inside (low, high) and 0 at and beyond the
    bounds, as PyTorch's hardtanh: x times a constant mask, plus the bound where clipped."""
    xp = backend.get_array_module(input._array)
    x = input._array
    inside = (x > low) & (x < high)
    outside = xp.where(x <= low, low, xp.where(x >= high, high, 0))
    return input * constant_like(inside, input) + constant_like(outside, input)


def check_hardtanh_bounds(op: str, min_val: float, max_val: float) -> None:
    check_finite(op, "min_val", min_val)
    check_finite(op, "max_val", max_val)
    if min_val > max_val:
        raise ConfigError(f"{op}: min_val must not exceed max_val, got min_val={min_val}, "
                          f"max_val={max_val}")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """y = min(max(x, min_val), max_val);  dy/dx = 1 strictly between the bounds, else 0."""
    require_float("hardtanh", input)
    check_hardtanh_bounds("hardtanh", min_val, max_val)
    return _clip(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """y = min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    require_float("relu6", input)
    return _clip(input, 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """y = 0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between: a cheap sigmoid."""
    require_float("hardsigmoid", input)
    return _clip(input * (1 / 6) + 0.5, 0.0, 1.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """y = x hardsigmoid(x) = x (x + 3) / 6 between -3 and 3, 0 below, x above: a cheap SiLU
    (MobileNetV3)."""
    require_float("hardswish", input)
    return input * hardsigmoid(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """y = x if x > threshold else value;  dy/dx = 1 where x > threshold, else 0."""
    require_float("threshold", input)
    check_finite("threshold", "threshold", threshold)
    check_finite("threshold", "value", value)
    xp = backend.get_array_module(input._array)
    above = input._array > threshold
    return input * constant_like(above, input) + constant_like(xp.where(above, 0, value), input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """PReLU: y = x if x > 0 else a x, with a learned slope ``weight``: one number, or one per
    channel (dimension 1; a 0-d or 1-d input has one channel). dy/dx = 1 or a;
    dy/da = min(x, 0)."""
    require_float("prelu", input)
    if not isinstance(weight, Tensor):
        raise DTypeError(f"prelu: weight must be a minidl Tensor, got {type(weight).__name__}")
    if weight.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != weight.numel():
            raise ShapeError(f"prelu: weight has {weight.numel()} elements but the input of "
                             f"shape {tuple(input.shape)} has {channels} channels")
        slope = weight.reshape((-1,) + (1,) * (input.ndim - 2))
    else:
        slope = weight.reshape(())
    positive = input._array > 0
    return input * constant_like(positive, input) + input * constant_like(~positive, input) * slope


# ------------------------------------------------------------------------- shrinkage
def check_lambd(op: str, lambd: float) -> float:
    """lambd: the half-width of the band sent to 0, a finite number >= 0."""
    check_finite(op, "lambd", lambd)
    if lambd < 0:
        raise ConfigError(f"{op}: invalid lambd value: {lambd!r} (expected a number >= 0)")
    return lambd


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x where |x| > lambd, else 0;  dy/dx = that 0/1 mask (0 at |x| = lambd, as PyTorch)."""
    require_float("hardshrink", input)
    check_lambd("hardshrink", lambd)
    return input * constant_like(abs(input._array) > lambd, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x - lambd for x > lambd, x + lambd for x < -lambd, else 0: x minus its clip to
    [-lambd, lambd], so dy/dx is 1 outside the band and 0 inside (and at its edges)."""
    require_float("softshrink", input)
    check_lambd("softshrink", lambd)
    return input - clamp(input, -lambd, lambd)


def tanhshrink(input: Tensor) -> Tensor:
    """y = x - tanh(x);  dy/dx = tanh(x)^2."""
    require_float("tanhshrink", input)
    return input - tanh(input)


# --------------------------------------------------------------------- smooth, gated
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish: y = x tanh(softplus(x)); softplus is computed stably (``Softplus``), so large |x|
    gives x or 0, never nan."""
    require_float("mish", input)
    return input * tanh(Softplus.apply(input))


def softsign(input: Tensor) -> Tensor:
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""
    require_float("softsign", input)
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """y = log(sigmoid(x)) = -softplus(-x), stable for large |x| (log(sigmoid(-800)) would be
    log(0) = -inf; this gives -800)."""
    require_float("logsigmoid", input)
    return -Softplus.apply(-input)


def softmin(input: Tensor, dim: int, dtype=None) -> Tensor:
    """y = softmax(-x) along ``dim`` (required, as in ``softmax``); ``dtype``: x is cast to it
    first, as in PyTorch."""
    input = input if dtype is None else input.to(dtype)
    require_float("softmin", input)
    return softmax(-input, dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """GLU: split x in halves a, b along ``dim``; y = a sigmoid(b) (a gate learned per unit)."""
    require_float("glu", input)
    if input.ndim == 0:
        raise ShapeError("glu: expected an input of at least 1 dimension, got a 0-d tensor")
    axis = normalize_dim(dim, input.ndim, "glu")
    if input.shape[axis] % 2:
        raise ShapeError(f"glu: halving dimension {dim} needs an even size, got "
                         f"{input.shape[axis]} (input shape {tuple(input.shape)})")
    a, b = chunk(input, 2, axis)
    return a * sigmoid(b)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: y = x if x >= 0 else a x, with a slope a drawn uniformly from
    [lower, upper] for every element while ``training`` (noise that regularizes), and the mean
    slope (lower + upper) / 2 otherwise. dy/dx is the mask of slopes (a constant)."""
    require_float("rrelu", input)
    check_finite("rrelu", "lower", lower)
    check_finite("rrelu", "upper", upper)
    if lower > upper:
        raise ConfigError(f"rrelu: lower bound {lower} must be at most the upper bound {upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    xp = backend.get_array_module(input._array)
    slopes = lower + (upper - lower) * rand(input.shape, dtype=input.dtype,
                                            device=input.device)._array
    mask = xp.where(input._array >= 0, 1, slopes).astype(input.dtype, copy=False)
    return input * Tensor._make(mask, False)
