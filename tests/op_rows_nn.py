"""Op-table rows of issue 17's neural-network functions: the activations (silu, elu, celu,
selu, hardtanh, relu6, hardsigmoid, hardswish, threshold, prelu, mish, softsign, logsigmoid,
softmin, glu, hardshrink, softshrink, tanhshrink) and the normalizations within a sample
(group_norm, instance_norm, rms_norm, normalize).

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. The case strategies that only these rows need are here too.

Corners: every breakpoint of the piecewise-linear activations (0 and 6 for relu6, -3 and 3 for
the hard* pair, the bounds of hardtanh, the threshold) is drawn on a multiple of 0.25, and the
samples stay at least 0.05 from every multiple of 0.25 (``off_quarters``).

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from op_cases import Case, numpy_axes, off_zero, reduction, shapes, unary, values
from op_row import Op

import minidl
import minidl.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = TF = None


# ------------------------------------------------------------------ strategies
def off_quarters(low: float = -3.0, high: float = 3.0):
    """Values in about [low, high] at distance 0.05..0.2 above a multiple of 0.25: at least
    0.05 from every multiple of 0.25, where the corners are drawn."""
    def strategy(shape):
        def snap(a):
            k = np.floor(4 * a)
            return k / 4 + 0.05 + 0.15 * (4 * a - k)
        return values(shape, low, high).map(snap)
    return strategy


QUARTERS = st.integers(-8, 8).map(lambda k: k / 4)  # corners in [-2, 2]


@st.composite
def unary_with(draw, elements=values, **params):
    """One input and the params, each drawn from its strategy."""
    case = draw(unary(elements))
    return Case(case.arrays, {name: draw(strategy) for name, strategy in params.items()})


@st.composite
def hardtanh_cases(draw):
    low, high = sorted((draw(QUARTERS), draw(QUARTERS)))
    return Case(draw(unary(off_quarters())).arrays, {"min_val": low, "max_val": high})


@st.composite
def prelu_cases(draw):
    """x, and one slope for every channel (dim 1) or a single one."""
    per_channel = draw(st.booleans())
    shape = draw(shapes(min_dims=2 if per_channel else 0))
    channels = shape[1] if per_channel else 1
    return Case((draw(off_zero(1e-3)(shape)), draw(values((channels,), -1.0, 1.0))), {})


@st.composite
def glu_cases(draw):
    """x whose size along ``dim`` is even."""
    shape = list(draw(shapes(min_dims=1, max_dims=2)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    shape[dim] = 2 * draw(st.integers(1, 2))
    return Case((draw(values(tuple(shape))),), {"dim": dim})


@st.composite
def affine(draw, channels: int):
    """weight and bias (C,), weight only, or neither."""
    return tuple(draw(values((channels,))) for _ in range(draw(st.integers(0, 2))))


@st.composite
def group_norm_cases(draw):
    groups = draw(st.integers(1, 2))
    n, per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    positions = draw(st.sampled_from([(), (2,), (3,), (2, 2), (1, 3)]))
    if per_group * math.prod(positions) < 2:  # a group of 1 element has no spread
        positions = (2,)
    shape = (n, groups * per_group) + positions
    return Case((draw(values(shape)),) + draw(affine(shape[1])), {"num_groups": groups})


@st.composite
def instance_norm_cases(draw):
    """The input's statistics (training), or running ones (eval: ``running`` mean and
    variance, constants)."""
    positions = draw(st.sampled_from([(2,), (3,), (2, 2), (1, 2)]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + positions
    running = None
    if draw(st.booleans()):
        running = (draw(values((shape[1],))), draw(values((shape[1],), 0.2, 2.0)))
    return Case((draw(values(shape)),) + draw(affine(shape[1])), {"running": running})


@st.composite
def rms_norm_cases(draw):
    shape = draw(shapes(min_dims=1))
    normalized = shape[len(shape) - draw(st.integers(1, len(shape))):]
    weight = (draw(values(normalized)),) if draw(st.booleans()) else ()
    eps = draw(st.sampled_from([None, 1e-5]))
    return Case((draw(off_zero(0.5)(shape)),) + weight,
                {"normalized_shape": normalized, "eps": eps})


@st.composite
def normalize_cases(draw):
    shape = draw(shapes(min_dims=1))
    return Case((draw(off_zero(0.5)(shape)),),
                {"p": draw(st.sampled_from([2.0, 1.0, 3.0])),
                 "dim": draw(st.integers(-len(shape), len(shape) - 1))})


# ------------------------------------------------------------------ references
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _elu(a, alpha):
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))


def _softmax(a, dim):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _prelu(x, w):
    slope = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
    return np.where(x > 0, x, slope * x)


def _glu(x, dim):
    a, b = np.split(x, 2, axis=dim)
    return a * _sigmoid(b)


def _per_channel(y, params):
    shape = (1, -1) + (1,) * (y.ndim - 2)
    y = y * params[0].reshape(shape) if params else y
    return y + params[1].reshape(shape) if len(params) == 2 else y


def _standardize(x, axes, eps=1e-5):
    deviation = x - x.mean(axis=axes, keepdims=True)
    return deviation / np.sqrt((deviation ** 2).mean(axis=axes, keepdims=True) + eps)


def _group_norm(x, *params, num_groups):
    y = _standardize(x.reshape(x.shape[0], num_groups, -1), (2,)).reshape(x.shape)
    return _per_channel(y, params)


def _instance_norm(x, *params, running):
    if running is None:
        return _per_channel(_standardize(x, tuple(range(2, x.ndim))), params)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = (r.reshape(shape) for r in running)
    return _per_channel((x - mean) / np.sqrt(var + 1e-5), params)


def _rms_norm(x, *weight, normalized_shape, eps):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    eps = np.finfo(x.dtype).eps if eps is None else eps
    y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return y * weight[0] if weight else y


def _normalize(x, p, dim):
    norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, 1e-12)


# ------------------------------------------------------------------ minidl calls with params
def _instance_norm_fn(x, *params, running):
    weight, bias = params + (None,) * (2 - len(params))
    if running is None:
        return F.instance_norm(x, None, None, weight, bias)
    mean, var = (minidl.tensor(r, device=x.device) for r in running)
    return F.instance_norm(x, mean, var, weight, bias, use_input_stats=False)


def _torch_instance_norm(x, *params, running):
    weight, bias = params + (None,) * (2 - len(params))
    if running is None:
        return TF.instance_norm(x, None, None, weight, bias)
    mean, var = (torch.tensor(r) for r in running)
    return TF.instance_norm(x, mean, var, weight, bias, use_input_stats=False)


CORNERS = "every corner on a multiple of 0.25; samples at least 0.05 from those"
AT_ZERO = "the second derivative jumps at 0: |x| >= 1e-3"
ROWS: List[Op] = [
    Op("silu", F.silu, lambda a: a * _sigmoid(a), unary()),
    Op("elu", lambda a, alpha: F.elu(a, alpha), _elu,
       unary_with(off_zero(1e-3), alpha=st.sampled_from([0.5, 1.0, 1.7])),
       domain="|x| in [1e-3, 3.001]; alpha 0.5, 1, 1.7", kinks=AT_ZERO),
    Op("celu", lambda a, alpha: F.celu(a, alpha),
       lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0) / alpha)),
       unary_with(off_zero(1e-3), alpha=st.sampled_from([0.5, 1.0, 2.0])),
       domain="|x| in [1e-3, 3.001]; alpha 0.5, 1, 2", kinks=AT_ZERO),
    Op("selu", F.selu, lambda a: SELU_SCALE * _elu(a, SELU_ALPHA), unary(off_zero(1e-3)),
       domain="|x| in [1e-3, 3.001]", kinks=AT_ZERO),
    Op("hardtanh", lambda a, min_val, max_val: F.hardtanh(a, min_val, max_val),
       lambda a, min_val, max_val: np.clip(a, min_val, max_val), hardtanh_cases(),
       domain="[-3, 3]; bounds in [-2, 2]", kinks=CORNERS),
    Op("relu6", F.relu6, lambda a: np.clip(a, 0, 6), unary(off_quarters(-2.0, 8.0)),
       domain="[-2, 8]", kinks=CORNERS),
    Op("hardsigmoid", F.hardsigmoid, lambda a: np.clip(a / 6 + 0.5, 0, 1),
       unary(off_quarters(-4.0, 4.0)), domain="[-4, 4]", kinks=CORNERS),
    Op("hardswish", F.hardswish, lambda a: a * np.clip(a / 6 + 0.5, 0, 1),
       unary(off_quarters(-4.0, 4.0)), domain="[-4, 4]", kinks=CORNERS),
    Op("threshold", lambda a, threshold, value: F.threshold(a, threshold, value),
       lambda a, threshold, value: np.where(a > threshold, a, value),
       unary_with(off_quarters(), threshold=QUARTERS, value=st.floats(-3, 3)),
       domain="[-3, 3]; threshold in [-2, 2], value in [-3, 3]", kinks=CORNERS),
    Op("prelu", F.prelu, _prelu, prelu_cases(),
       domain="|x| in [1e-3, 3.001]; one slope, or one per channel (dim 1), in [-1, 1]",
       kinks="|x| >= 1e-3 (the kink is at 0)"),
    Op("mish", F.mish, lambda a: a * np.tanh(np.logaddexp(0, a)), unary()),
    Op("softsign", F.softsign, lambda a: a / (1 + np.abs(a)), unary(off_zero(1e-3)),
       domain="|x| in [1e-3, 3.001]", kinks=AT_ZERO),
    Op("logsigmoid", F.logsigmoid, lambda a: -np.logaddexp(0, -a), unary()),
    Op("hardshrink", F.hardshrink, lambda a: np.where(np.abs(a) > 0.5, a, 0.0),
       unary(off_quarters()), domain="[-3, 3]", kinks=CORNERS),
    Op("softshrink", lambda a: F.softshrink(a, 0.25), lambda a: a - np.clip(a, -0.25, 0.25),
       unary(off_quarters()), domain="[-3, 3]; lambd = 0.25", kinks=CORNERS),
    Op("tanhshrink", F.tanhshrink, lambda a: a - np.tanh(a), unary()),
    Op("softmin", lambda a, dim: F.softmin(a, dim),
       lambda a, dim: _softmax(-a, numpy_axes(dim, a.ndim)),
       reduction(tuples=False, none=False, keepdim=False)),
    Op("glu", lambda a, dim: F.glu(a, dim), _glu, glu_cases(),
       domain="[-3, 3]; an even size along dim"),
    Op("group_norm", lambda x, *p, num_groups: F.group_norm(x, num_groups, *p), _group_norm,
       group_norm_cases(), domain="(N, C, *) of 1 or 2 groups of 1 or 2 channels, at least 2 "
       "elements per group; weight and bias, weight only, or neither",
       kinks="smooth: eps = 1e-5 keeps the root away from 0"),
    Op("instance_norm", _instance_norm_fn, _instance_norm, instance_norm_cases(),
       domain="(N, C, *) with at least 2 positions; the input's statistics, or running ones "
       "(variance in [0.2, 2]); weight and bias, weight only, or neither",
       kinks="smooth: eps = 1e-5 keeps the root away from 0"),
    Op("rms_norm", lambda x, *w, normalized_shape, eps: F.rms_norm(x, normalized_shape, *w,
                                                                  eps=eps),
       _rms_norm, rms_norm_cases(), domain="|x| in [0.5, 3.5] over the trailing dims; eps "
       "None (machine epsilon) or 1e-5; with or without weight",
       kinks="smooth: |x| >= 0.5 keeps the mean square at least 0.25"),
    Op("normalize", lambda x, p, dim: F.normalize(x, p, dim), _normalize, normalize_cases(),
       domain="|x| in [0.5, 3.5]; p = 2, 1, 3; any dim",
       kinks="|x| >= 0.5: far from |x|'s kink and from the zero vector"),
]

TORCH: Dict[str, Callable] = {
    "silu": lambda a: TF.silu(a),
    "elu": lambda a, alpha: TF.elu(a, alpha),
    "celu": lambda a, alpha: TF.celu(a, alpha),
    "selu": lambda a: TF.selu(a),
    "hardtanh": lambda a, min_val, max_val: TF.hardtanh(a, min_val, max_val),
    "relu6": lambda a: TF.relu6(a),
    # PyTorch's own hardsigmoid backward multiplies by 1/6 rounded to float32 (a relative
    # error of 3e-8, above this check's tolerance); the same function from hardtanh is exact.
    "hardsigmoid": lambda a: TF.hardtanh(a * (1 / 6) + 0.5, 0.0, 1.0),
    "hardswish": lambda a: TF.hardswish(a),
    "threshold": lambda a, threshold, value: TF.threshold(a, threshold, value),
    "prelu": lambda x, w: TF.prelu(x, w),
    "mish": lambda a: TF.mish(a),
    "softsign": lambda a: TF.softsign(a),
    "logsigmoid": lambda a: TF.logsigmoid(a),
    "hardshrink": lambda a: TF.hardshrink(a),
    "softshrink": lambda a: TF.softshrink(a, 0.25),
    "tanhshrink": lambda a: TF.tanhshrink(a),
    "softmin": lambda a, dim: TF.softmin(a, dim),
    "glu": lambda a, dim: TF.glu(a, dim),
    "group_norm": lambda x, *p, num_groups: TF.group_norm(x, num_groups, *p),
    "instance_norm": _torch_instance_norm,
    "rms_norm": lambda x, *w, normalized_shape, eps: TF.rms_norm(x, normalized_shape, *w,
                                                                 eps=eps),
    "normalize": lambda x, p, dim: TF.normalize(x, p, dim),
}
