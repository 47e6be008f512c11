"""Op-table rows of issue 17's elementwise ops: rounding, trigonometric and
hyperbolic functions, the erf family, logs and exps, lerp, hypot, ...

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. The case strategies that only these rows need are here too.

The rounding ops have derivative 0, so their rows add the input (``floor(x) + x``, whose
derivative 1 shows floor's 0, as the sign row does) and keep the samples off the steps.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import Case, binary, broadcast_shapes, off_zero, positive, shapes, unary, values
from op_row import Op

import minidl

try:
    import torch
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = None


# ------------------------------------------------------------------ strategies
def off_steps(offset: float = 0.0, scale: float = 1.0):
    """Values in about [-3, 3] * scale whose distance from the steps scale * (k + offset)
    (k whole) is at least 0.05 * scale: floor, ceil and trunc jump at whole numbers (offset
    0), round at halves (offset 0.5)."""
    def strategy(shape):
        def snap(a):
            k = np.floor(a)
            return (k + offset + 0.05 + 0.9 * (a - k)) * scale
        return values(shape).map(snap)
    return strategy


def interval(low: float, high: float):
    return lambda shape: values(shape, low, high)


@st.composite
def round_cases(draw):
    decimals = draw(st.sampled_from([0, 1, 2, -1]))
    case = draw(unary(off_steps(0.5, 10.0 ** -decimals)))
    return Case(case.arrays, {"decimals": decimals})


@st.composite
def fmod_cases(draw):
    """x = y q with |y| >= 0.5 and q at least 0.05 from a whole number (fmod jumps where x / y
    is whole); one shape for both, or a 0-d divisor."""
    shape = draw(shapes())
    divisor = draw(off_zero(0.5)(() if draw(st.booleans()) else shape))
    quotient = draw(off_steps()(shape))
    return Case((divisor * quotient, divisor), {})


@st.composite
def lerp_cases(draw):
    a, b = draw(broadcast_shapes())
    return Case((draw(values(a)), draw(values(b))), {"weight": draw(st.floats(-1.0, 2.0))})


@st.composite
def lerp_tensor_cases(draw):
    a, b, w = draw(broadcast_shapes(3))
    return Case((draw(values(a)), draw(values(b)), draw(values(w, -1.0, 2.0))), {})


def grid(offset: float):
    """Values 0.25 k + offset + [0, 0.02): grids with offsets 0, 0.08 and 0.16 stay at least
    0.06 apart however broadcasting pairs their elements (no ties between x and the bounds)."""
    def strategy(shape):
        def snap(u):
            q = np.floor(4 * u)
            return q / 4 + offset + 0.02 * (4 * u - q)
        return values(shape).map(snap)
    return strategy


@st.composite
def clamp_tensor_cases(draw):
    """x and tensor bounds on three grids (no ties); min > max happens too (then max wins)."""
    x, lo, hi = draw(broadcast_shapes(3))
    return Case((draw(grid(0.0)(x)), draw(grid(0.08)(lo)), draw(grid(0.16)(hi))), {})


@st.composite
def where_number_cases(draw):
    cond, x = draw(broadcast_shapes())
    return Case((draw(values(x)),), {"cond": draw(hnp.arrays(np.bool_, cond)),
                                     "other": draw(st.floats(-3, 3))})


# ------------------------------------------------------------------ references
def _erfinv_ref(y: float) -> float:
    """erfinv by bisection on ``math.erf`` (independent of minidl's Halley steps)."""
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


def _with_input(fn):
    """``fn(x) + x``: the derivative 1 + fn' shows fn's derivative 0."""
    return lambda a, **params: fn(a, **params) + a


_erfc_ref = np.vectorize(math.erfc, otypes=[np.float64])
_erfinv_array_ref = np.vectorize(_erfinv_ref, otypes=[np.float64])
STEPS = "the jumps at whole numbers: samples stay 0.05 away"

ROWS: List[Op] = [
    # rounding: derivative 0 (shown as fn(x) + x), and what is left over: derivative 1
    Op("floor", _with_input(minidl.floor), _with_input(np.floor), unary(off_steps()),
       domain="[-3, 3]; floor(x) + x", kinks=STEPS),
    Op("ceil", _with_input(lambda a: a.ceil()), _with_input(np.ceil), unary(off_steps()),
       domain="[-3, 3]; ceil(x) + x", kinks=STEPS),
    Op("trunc", _with_input(minidl.trunc), _with_input(np.trunc), unary(off_steps()),
       domain="[-3, 3]; trunc(x) + x", kinks=STEPS),
    Op("round", _with_input(lambda a, decimals: minidl.round(a, decimals=decimals)),
       _with_input(lambda a, decimals: np.round(a, decimals)), round_cases(),
       domain="[-3, 3] / 10^decimals, decimals -1..2; round(x) + x",
       kinks="the jumps at (k + 1/2) / 10^decimals: samples stay 0.05 / 10^decimals away"),
    Op("frac", lambda a: a.frac(), lambda a: a - np.trunc(a), unary(off_steps()),
       kinks=STEPS),
    Op("fmod", minidl.fmod, np.fmod, fmod_cases(),
       domain="x = y q, |y| in [0.5, 3.5], one shape or a 0-d y",
       kinks="the jumps where x / y is whole: q stays 0.05 away"),
    # trigonometric and hyperbolic
    Op("tan", minidl.tan, np.tan, unary(interval(-1.2, 1.2)), domain="[-1.2, 1.2]",
       kinks="the poles at +-pi/2: |x| <= 1.2"),
    Op("asin", minidl.asin, np.arcsin, unary(interval(-0.9, 0.9)), domain="[-0.9, 0.9]",
       kinks="the infinite slopes at +-1: |x| <= 0.9"),
    Op("acos", lambda a: a.acos(), np.arccos, unary(interval(-0.9, 0.9)),
       domain="[-0.9, 0.9]", kinks="the infinite slopes at +-1: |x| <= 0.9"),
    Op("atan", minidl.atan, np.arctan, unary()),
    Op("atan2", minidl.atan2, np.arctan2, binary(left=off_zero(0.5)),
       domain="y (the first operand) |y| in [0.5, 3.5]; x in [-3, 3]",
       kinks="the origin and the jump on the negative x axis: |y| >= 0.5"),
    Op("sinh", minidl.sinh, np.sinh, unary()),
    Op("cosh", lambda a: a.cosh(), np.cosh, unary()),
    Op("asinh", minidl.asinh, np.arcsinh, unary()),
    Op("acosh", minidl.acosh, np.arccosh, unary(interval(1.1, 3.0)), domain="[1.1, 3]",
       kinks="the infinite slope at 1: x >= 1.1"),
    Op("atanh", minidl.atanh, np.arctanh, unary(interval(-0.9, 0.9)), domain="[-0.9, 0.9]",
       kinks="the poles at +-1: |x| <= 0.9"),
    # exponentials, logarithms, the error functions
    Op("erfc", minidl.erfc, _erfc_ref, unary()),
    Op("erfinv", lambda a: a.erfinv(), _erfinv_array_ref, unary(interval(-0.9, 0.9)),
       domain="[-0.9, 0.9]", kinks="the poles at +-1: |x| <= 0.9"),
    Op("log2", minidl.log2, np.log2, unary(positive(0.1)), domain="[0.1, 3]"),
    Op("log10", lambda a: a.log10(), np.log10, unary(positive(0.1)), domain="[0.1, 3]"),
    Op("exp2", minidl.exp2, np.exp2, unary()),
    Op("square", minidl.square, np.square, unary()),
    Op("reciprocal", lambda a: a.reciprocal(), np.reciprocal, unary(off_zero(0.5)),
       domain="|x| in [0.5, 3.5]", kinks="the pole at 0: x stays 0.5 away"),
    # two operands
    Op("lerp_scalar_weight", lambda a, b, weight: minidl.lerp(a, b, weight),
       lambda a, b, weight: a + weight * (b - a), lerp_cases(),
       domain="start and end [-3, 3], broadcasting; a number weight in [-1, 2]"),
    Op("lerp_tensor_weight", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a),
       lerp_tensor_cases(), domain="start, end [-3, 3], weight [-1, 2], all broadcasting"),
    Op("logaddexp", minidl.logaddexp, np.logaddexp, binary()),
    Op("copysign", minidl.copysign, np.copysign, binary(off_zero(1e-3), off_zero(1e-3)),
       domain="|x| in [1e-3, 3.001] for both",
       kinks="|x| at 0 (the first operand) and the jump at 0 (the second): both 1e-3 away"),
    Op("hypot", lambda a, b: a.hypot(b), np.hypot, binary(left=off_zero(0.5)),
       domain="first |x| in [0.5, 3.5], second [-3, 3]",
       kinks="the cone's tip at (0, 0): the first operand stays 0.5 away"),
    # selections with tensor bounds and numbers
    Op("clamp_tensor_bounds", lambda a, lo, hi: a.clamp(lo, hi),
       lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi), clamp_tensor_cases(),
       domain="x, min, max broadcasting, min > max too",
       kinks="ties between x, min and max: three grids 0.06 apart"),
    Op("clamp_tensor_min", lambda a, lo: minidl.clamp(a, min=lo, max=1.1),
       lambda a, lo: np.minimum(np.maximum(a, lo), 1.1), binary(grid(0.0), grid(0.08)),
       domain="x and a tensor min broadcasting; max the number 1.1",
       kinks="ties: grids 0.06 apart; 1.1 is 0.08 from the nearest x"),
    Op("where_tensor_number",
       lambda a, cond, other: minidl.where(minidl.tensor(cond, device=a.device), a, other),
       lambda a, cond, other: np.where(cond, a, other), where_number_cases(),
       domain="where(cond, x, a number)", kinks="none: the condition is a constant"),
]


def _torch_round(a, decimals):
    return torch.round(a, decimals=decimals) + a


TORCH: Dict[str, Callable] = {
    "floor": lambda a: torch.floor(a) + a,
    "ceil": lambda a: torch.ceil(a) + a,
    "trunc": lambda a: torch.trunc(a) + a,
    "round": _torch_round,
    "frac": lambda a: torch.frac(a),
    "fmod": lambda a, b: torch.fmod(a, b),
    "tan": lambda a: torch.tan(a),
    "asin": lambda a: torch.asin(a),
    "acos": lambda a: torch.acos(a),
    "atan": lambda a: torch.atan(a),
    "atan2": lambda a, b: torch.atan2(a, b),
    "sinh": lambda a: torch.sinh(a),
    "cosh": lambda a: torch.cosh(a),
    "asinh": lambda a: torch.asinh(a),
    "acosh": lambda a: torch.acosh(a),
    "atanh": lambda a: torch.atanh(a),
    "erfc": lambda a: torch.erfc(a),
    "erfinv": lambda a: torch.erfinv(a),
    "log2": lambda a: torch.log2(a),
    "log10": lambda a: torch.log10(a),
    "exp2": lambda a: torch.exp2(a),
    "square": lambda a: torch.square(a),
    "reciprocal": lambda a: torch.reciprocal(a),
    "lerp_scalar_weight": lambda a, b, weight: torch.lerp(a, b, weight),
    "lerp_tensor_weight": lambda a, b, w: torch.lerp(a, b, w),
    "logaddexp": lambda a, b: torch.logaddexp(a, b),
    "copysign": lambda a, b: torch.copysign(a, b),
    "hypot": lambda a, b: torch.hypot(a, b),
    # PyTorch's clamp backward fails where a bound has more elements than x (x is expanded
    # first here), and it refuses a tensor bound with a number bound (minidl takes both)
    "clamp_tensor_bounds": lambda a, lo, hi: torch.clamp(torch.broadcast_tensors(a, lo, hi)[0],
                                                         lo, hi),
    "clamp_tensor_min": lambda a, lo: torch.clamp(torch.broadcast_tensors(a, lo)[0], min=lo,
                                                  max=torch.tensor(1.1, dtype=torch.float64)),
    "where_tensor_number": lambda a, cond, other: torch.where(torch.tensor(cond), a, other),
}
