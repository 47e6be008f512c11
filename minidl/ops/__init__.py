"""The primitive operations, grouped by kind, forward and backward side by side.

Reading order (the one in ``minidl/__init__.py``): arithmetic -> unary -> compare -> bitwise ->
division -> reduce -> softmax -> sort -> scan -> product -> extrema -> moments ->
(minidl/linalg.py) -> shape -> indexing -> rearrange -> gather_scatter ->
scatter_extremes -> diagonals -> einstein -> pad_modes -> linalg -> conv -> pool -> convert ->
special -> rounding -> trigonometric -> exp_log -> erf_family -> binary_math -> bitcast ->
cross_entropy -> batch_norm (the last two fused); then what they stand on: arguments
(PyTorch's axis= and out=) -> operands (dtype promotion) -> dims -> dtype_checks. Every public
function here is also a ``minidl.`` function and, where PyTorch has one, a Tensor method.
"""
from minidl.ops.arithmetic import add, div, mul, neg, pow, sub
from minidl.ops.binary_math import allclose, copysign, hypot, isclose, lerp, logaddexp
from minidl.ops.bitcast import view_dtype
from minidl.ops.bitwise import (
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
)
from minidl.ops.compare import (
    clamp,
    compare,
    isfinite,
    isinf,
    isnan,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    where,
)
from minidl.ops.convert import cast, to_device
from minidl.ops.diagonals import diag, diag_embed, diagonal
from minidl.ops.dims import normalize_dim
from minidl.ops.division import floor_divide, remainder
from minidl.ops.einstein import einsum
from minidl.ops.erf_family import erfc, erfinv
from minidl.ops.exp_log import exp2, log2, log10, reciprocal, square
from minidl.ops.extrema import amax, amin, aminmax
from minidl.ops.gather_scatter import (
    gather,
    index_add,
    index_select,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take_along_dim,
)
from minidl.ops.indexing import getitem, index_arrays
from minidl.ops.linalg import dot, matmul, mm
from minidl.ops.moments import std_mean, var_mean
from minidl.ops.product import prod
from minidl.ops.rearrange import (
    flip,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    repeat,
    repeat_interleave,
    roll,
    swapaxes,
    swapdims,
    tile,
    unbind,
    unflatten,
    unfold,
)
from minidl.ops.reduce import all, any, argmax, argmin, max, mean, min, norm, std, sum, var
from minidl.ops.rounding import ceil, floor, fmod, frac, round, trunc
from minidl.ops.scan import cummax, cummin, cumprod, cumsum, logcumsumexp
from minidl.ops.shape import (
    broadcast_to,
    cat,
    chunk,
    clone,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    t,
    transpose,
    unsqueeze,
)
from minidl.ops.softmax import log_softmax, logsumexp, softmax
from minidl.ops.sort import argsort, kthvalue, median, nanmedian, sort
from minidl.ops.special import erf
from minidl.ops.trigonometric import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh, tan
from minidl.ops.unary import (
    abs,
    cos,
    exp,
    expm1,
    log,
    log1p,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    tanh,
)
