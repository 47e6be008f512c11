"""The table of differentiable ops that drives the gradient tests (``test_ops_gradcheck.py``),
the device tests (``test_device.py``) and the random-graph test (``test_engine_stateful.py``).

Each row (an ``Op``) holds

* ``fn``     the minidl computation: ``fn(*tensors, **params)``;
* ``ref``    a NumPy reference for its value: ``ref(*arrays, **params)``;
* ``cases``  a Hypothesis strategy for a ``Case`` (``tests/op_cases.py``): the input arrays and
             the params;
* ``domain`` the inputs it is tested on, in words;
* ``kinks``  what keeps the samples away from points where the op is not differentiable.

Read next: ``tests/test_ops_gradcheck.py``.
"""
from __future__ import annotations

import math

import numpy as np
import op_rows_conv
import op_rows_elementwise
import op_rows_indexing
import op_rows_losses
import op_rows_more
import op_rows_nn
import op_rows_reductions
import op_rows_shape
import sequence_cases as seq
import spelling_cases as spell
from hypothesis import strategies as st
from op_cases import (
    basic_index_cases,
    binary,
    cat_cases,
    clamp_cases,
    distinct,
    expand_cases,
    flatten_cases,
    index_pairs_cases,
    int_array_index_cases,
    mask_cases,
    matmul_cases,
    numpy_axes,
    numpy_pad_widths,
    off_zero,
    on_grid,
    pad_cases,
    permute_cases,
    positive,
    reduction,
    reshape_cases,
    squeeze_cases,
    stack_cases,
    sum_to_cases,
    transpose_cases,
    unary,
    unsqueeze_cases,
    values,
    variance,
    where_cases,
    whole_exponent_cases,
    with_scalar,
)
from op_row import Op

import minidl
from minidl.ops.gelu import gelu
from minidl.ops.lstm_cell import lstm_step
from minidl.ops.lstm_sequence import lstm_sequence


# ------------------------------------------------------------------ references
def sum_to_ref(a, shape):
    """Brute force: add every element of ``a`` into the cell broadcasting maps it from."""
    out = np.zeros(shape)
    lead = a.ndim - len(shape)
    for index in np.ndindex(a.shape):
        out[tuple(0 if n == 1 else i for i, n in zip(index[lead:], shape))] += a[index]
    return out


def int_array_index(x, axis, index, as_tensor):
    key = minidl.tensor(index, device=x.device) if as_tensor else index
    return x[(slice(None),) * axis + (key,)]


def _softmax(a, dim):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _logsumexp(a, dim, keepdims):
    m = np.max(a, axis=numpy_axes(dim, a.ndim), keepdims=True)
    out = m + np.log(np.sum(np.exp(a - m), axis=numpy_axes(dim, a.ndim), keepdims=True))
    return out if keepdims else np.squeeze(out, numpy_axes(dim, a.ndim))


def _reduce_ref(np_fn):
    return lambda a, dim, keepdim=False: np_fn(a, axis=numpy_axes(dim, a.ndim), keepdims=keepdim)


def _variance_ref(np_fn):
    return lambda a, dim, keepdim, unbiased: np_fn(a, axis=numpy_axes(dim, a.ndim),
                                                   keepdims=keepdim, ddof=int(unbiased))


def _extremum_ref(np_fn):
    return lambda a, dim, keepdim: np_fn(a, axis=dim % max(a.ndim, 1) if a.ndim else None,
                                         keepdims=keepdim and a.ndim > 0)


def _clamp_ref(a, lo, hi):
    return np.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _reshape_ref(a, shape, method):
    return a.reshape(shape)


def _flatten_ref(a, start_dim, end_dim):
    start, end = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1:])


def _squeeze_ref(a, dim):
    axes = numpy_axes(dim, a.ndim)
    if axes is None:
        return np.squeeze(a)
    return np.squeeze(a, tuple(ax for ax in axes if a.shape[ax] == 1))


TIES = "distinct values at least 0.1 apart, so the selected element is unique"
ARITHMETIC = [
    Op("add", lambda a, b: a + b, np.add, binary()),
    Op("sub", lambda a, b: a - b, np.subtract, binary()),
    Op("mul", lambda a, b: a * b, np.multiply, binary()),
    Op("div", lambda a, b: a / b, np.divide, binary(right=off_zero(0.5)),
       domain="numerator [-3, 3]; denominator |x| in [0.5, 3.5]",
       kinks="the pole at 0: the denominator stays 0.5 away"),
    Op("pow_tensor_tensor", lambda a, b: a ** b, np.power,
       binary(left=positive(), right=values),
       domain="base [0.5, 3] (the exponent's gradient y log(a) is real only for a > 0); "
              "exponent [-3, 3]"),
    Op("pow_tensor_whole_exponent", lambda a, exponent: a ** minidl.tensor(exponent,
                                                                          device=a.device),
       lambda a, exponent: np.power(a, exponent), whole_exponent_cases(),
       domain="base |x| in [0.5, 3.5], either sign; a constant tensor exponent of whole "
              "numbers -2..3 (a negative base has a real power only for those)",
       kinks="negative exponents have a pole at 0: the base stays 0.5 away"),
    Op("pow_int_exponent", lambda a, c: a ** c, lambda a, c: np.power(a, float(c)),
       with_scalar(off_zero(0.5), st.sampled_from([-2, -1, 0, 1, 2, 3])),
       domain="base |x| in [0.5, 3.5]; integer exponent -2..3",
       kinks="negative exponents have a pole at 0: the base stays 0.5 away"),
    Op("pow_real_exponent", lambda a, c: a ** c, lambda a, c: np.power(a, c),
       with_scalar(positive(), st.floats(-2.5, 2.5)),
       domain="base [0.5, 3] (x^c is real only for x > 0); exponent [-2.5, 2.5]"),
    Op("rpow_scalar_base", lambda a, c: c ** a, lambda a, c: np.power(c, a),
       with_scalar(scalar=st.floats(0.5, 3.0)), domain="exponent [-3, 3]; base [0.5, 3]"),
    Op("rsub_scalar", lambda a, c: c - a, lambda a, c: c - a, with_scalar()),
    Op("rdiv_scalar", lambda a, c: c / a, lambda a, c: c / a, with_scalar(off_zero(0.5)),
       domain="|x| in [0.5, 3.5]", kinks="the pole at 0: x stays 0.5 away"),
    Op("mul_scalar", lambda a, c: a * c + c, lambda a, c: a * c + c, with_scalar()),
    Op("neg", lambda a: -a, np.negative, unary()),
]
UNARY = [
    Op("exp", minidl.exp, np.exp, unary()),
    Op("log", minidl.log, np.log, unary(positive(0.1)), domain="[0.1, 3]"),
    Op("sqrt", minidl.sqrt, np.sqrt, unary(positive(0.1)), domain="[0.1, 3]",
       kinks="the infinite slope at 0: x >= 0.1"),
    Op("abs", minidl.abs, np.abs, unary(off_zero(1e-3)), domain="|x| in [1e-3, 3.001]",
       kinks="|x| >= 1e-3 (the kink is at 0)"),
    Op("sin", minidl.sin, np.sin, unary()),
    Op("cos", minidl.cos, np.cos, unary()),
    Op("tanh", minidl.tanh, np.tanh, unary()),
    Op("sigmoid", minidl.sigmoid, lambda a: 1 / (1 + np.exp(-a)), unary()),
    Op("relu", minidl.relu, lambda a: np.maximum(a, 0), unary(off_zero(1e-3)),
       domain="|x| in [1e-3, 3.001]", kinks="|x| >= 1e-3 (the kink is at 0)"),
]
SELECTION = [
    Op("maximum", minidl.maximum, np.maximum, binary(on_grid(0.0), on_grid(0.1)),
       kinks="ties: the two inputs lie on grids that stay 0.05 apart"),
    Op("minimum", minidl.minimum, np.minimum, binary(on_grid(0.0), on_grid(0.1)),
       kinks="ties: the two inputs lie on grids that stay 0.05 apart"),
    Op("clamp", lambda a, lo, hi: a.clamp(lo, hi), _clamp_ref, clamp_cases(),
       kinks="the bounds: data at least 1e-3 away from both"),
    Op("where", lambda a, b, cond: minidl.where(minidl.tensor(cond, device=a.device), a, b),
       lambda a, b, cond: np.where(cond, a, b), where_cases(),
       kinks="none: the condition is a constant"),
]
REDUCTION = [
    Op("sum", lambda a, dim, keepdim: a.sum(dim, keepdim), _reduce_ref(np.sum), reduction()),
    Op("mean", lambda a, dim, keepdim: a.mean(dim, keepdim), _reduce_ref(np.mean),
       reduction()),
    Op("var", lambda a, dim, keepdim, unbiased: a.var(dim, unbiased, keepdim),
       _variance_ref(np.var),
       variance(), domain="[-3, 3], at least 2 elements per reduced slice"),
    Op("std", lambda a, dim, keepdim, unbiased: a.std(dim, unbiased, keepdim),
       _variance_ref(np.std),
       variance(distinct), domain="at least 2 elements per reduced slice",
       kinks="sqrt at variance 0: " + TIES),
    Op("max_all", lambda a: a.max(), np.max, unary(distinct), kinks=TIES),
    Op("min_all", lambda a: a.min(), np.min, unary(distinct), kinks=TIES),
    Op("max_dim", lambda a, dim, keepdim: a.max(dim, keepdim).values, _extremum_ref(np.max),
       reduction(distinct, tuples=False, none=False), kinks=TIES),
    Op("min_dim", lambda a, dim, keepdim: a.min(dim, keepdim).values, _extremum_ref(np.min),
       reduction(distinct, tuples=False, none=False), kinks=TIES),
    Op("logsumexp", lambda a, dim, keepdim: a.logsumexp(dim, keepdim),
       lambda a, dim, keepdim: _logsumexp(a, dim, keepdim), reduction(none=False),
       kinks="smooth: the max it shifts by is a constant that cancels"),
    Op("softmax", lambda a, dim: a.softmax(dim),
       lambda a, dim: _softmax(a, numpy_axes(dim, a.ndim)),
       reduction(tuples=False, none=False, keepdim=False)),
    Op("log_softmax", lambda a, dim: a.log_softmax(dim),
       lambda a, dim: a - _logsumexp(a, dim, True),
       reduction(tuples=False, none=False, keepdim=False)),
]
SHAPE = [
    Op("matmul", lambda a, b: a @ b, np.matmul, matmul_cases(),
       domain="1-D, 2-D and batched operands with broadcast batch dimensions"),
    Op("reshape", lambda a, shape, method: getattr(a, method)(*shape), _reshape_ref,
       reshape_cases(), domain="reshape and view, to any shape of the same size (maybe -1)"),
    Op("flatten", lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim), _flatten_ref,
       flatten_cases()),
    Op("transpose", lambda a, dim0, dim1: a.transpose(dim0, dim1),
       lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), transpose_cases()),
    Op("permute", lambda a, dims: a.permute(*dims),
       lambda a, dims: np.transpose(a, [d % a.ndim for d in dims]), permute_cases()),
    Op("squeeze", lambda a, dim: a.squeeze(dim), _squeeze_ref, squeeze_cases()),
    Op("unsqueeze", lambda a, dim: a.unsqueeze(dim),
       lambda a, dim: np.expand_dims(a, dim % (a.ndim + 1)), unsqueeze_cases()),
    Op("expand", lambda a, sizes, shape: a.expand(*sizes),
       lambda a, sizes, shape: np.broadcast_to(a, shape), expand_cases()),
    Op("broadcast_to", lambda a, sizes, shape: minidl.broadcast_to(a, shape),
       lambda a, sizes, shape: np.broadcast_to(a, shape), expand_cases()),
    Op("sum_to", lambda a, shape: a.sum_to(shape), sum_to_ref, sum_to_cases()),
    Op("getitem_basic", lambda a, key: a[key], lambda a, key: a[key], basic_index_cases(),
       domain="ints, slices with any step, None, Ellipsis"),
    Op("getitem_int_array", int_array_index,
       lambda a, axis, index, as_tensor: a[(slice(None),) * axis + (index,)],
       int_array_index_cases(), domain="a list or int64 tensor with a repeated index"),
    Op("getitem_index_pairs", lambda a, rows, cols: a[rows, cols],
       lambda a, rows, cols: a[rows, cols], index_pairs_cases(),
       domain="x[rows, cols] with a repeated (row, col) pair"),
    Op("getitem_mask", lambda a, mask: a[minidl.tensor(mask, device=a.device)],
       lambda a, mask: a[mask], mask_cases(), domain="a bool mask over leading dimensions"),
    Op("cat", lambda *xs, dim: minidl.cat(xs, dim), lambda *xs, dim: np.concatenate(xs, dim),
       cat_cases()),
    Op("stack", lambda *xs, dim: minidl.stack(xs, dim), lambda *xs, dim: np.stack(xs, dim),
       stack_cases()),
    Op("pad", lambda a, pad, value: minidl.pad(a, pad, value=value),
       lambda a, pad, value: np.pad(a, numpy_pad_widths(pad, a.ndim), constant_values=value),
       pad_cases()),
    Op("to_float32", lambda a: a.to(minidl.float32).to(minidl.float64),
       lambda a: a.astype(np.float32).astype(np.float64), unary(), eps=0.1,
       domain="float64 -> float32 -> float64 (gradcheck needs float64 ends)",
       kinks="float32 rounding: the op is linear, so a step of 0.1 is exact and its "
             "rounding error stays below 1e-5"),
]
SEQUENCE = [
    Op("tril", lambda a, diagonal: minidl.tril(a, diagonal),
       lambda a, diagonal: np.tril(a, diagonal), seq.triangle_cases(),
       domain="at least 2-D; diagonal -2..2", kinks="none: the mask is a constant"),
    Op("triu", lambda a, diagonal: minidl.triu(a, diagonal),
       lambda a, diagonal: np.triu(a, diagonal), seq.triangle_cases(),
       domain="at least 2-D; diagonal -2..2", kinks="none: the mask is a constant"),
    Op("masked_fill", seq.masked_fill, seq.masked_fill_ref, seq.masked_fill_cases(),
       domain="a bool mask broadcast to the input; the value a number or a 0-d tensor"),
    Op("topk_values", lambda a, k, dim, largest: minidl.topk(a, k, dim, largest).values,
       seq.topk_ref, seq.topk_cases(), kinks=TIES),
    Op("embedding", seq.embedding, lambda w, indices: w[indices], seq.embedding_cases(),
       domain="a table of up to 4 rows; an index array with a repeated index"),
    Op("scaled_dot_product_attention", seq.attention, seq.attention_ref,
       seq.attention_cases(), domain="Q (batch, L, E), K (S, E), V (S, Ev) of sides 1..3; no "
       "mask, a bool one (maybe hiding every key from a query), a float one, or causal"),
    Op("lstm_step", lstm_step, seq.lstm_step_ref, seq.lstm_step_cases(),
       domain="the fused LSTM step: xw (N, 4H), [h, c] (2, N, H), W_hh (4H, H), b_hh or none; "
       "N * H <= 2"),
    Op("lstm_sequence", lstm_sequence, seq.lstm_sequence_ref, seq.lstm_sequence_cases(),
       domain="the fused LSTM layer: x (T, N, I) for T = 1..3, [h_0, c_0] (2, N, H), W_ih, "
       "W_hh, both biases or none, either direction; N * H <= 2"),
    Op("recurrent_layer", seq.run_recurrent_layer, seq.recurrent_layer_ref,
       seq.recurrent_layer_cases(), domain="RNN (tanh), LSTM, GRU: 1..3 steps, either "
       "direction; weights and states in [-1.5, 1.5]"),
    Op("layer_norm_fused", seq.layer_norm_fused, seq.layer_norm_ref, seq.layer_norm_cases(),
       domain="minidl/ops/layer_norm.py over the trailing dims, with weight and bias, weight "
       "only, or neither", kinks="smooth: eps = 1e-5 keeps the root away from 0"),
    Op("gelu_fused", lambda a, approximate: gelu(a, approximate), seq.gelu_ref,
       seq.gelu_cases(), domain="minidl/ops/gelu.py, exact and tanh-approximated"),
]
# PyTorch's everyday spellings (issue 16): the ops that they added
SPELLINGS = [
    Op("log1p", minidl.log1p, np.log1p, unary(lambda shape: values(shape, -0.9, 3.0)),
       domain="[-0.9, 3] (the pole is at -1)"),
    Op("expm1", minidl.expm1, np.expm1, unary()),
    Op("rsqrt", minidl.rsqrt, lambda a: 1 / np.sqrt(a), unary(positive(0.1)),
       domain="[0.1, 3]", kinks="the pole at 0: x >= 0.1"),
    Op("sign", lambda a: a.sign() + a, lambda a: np.sign(a) + a, unary(off_zero(1e-3)),
       domain="|x| in [1e-3, 3.001]; sign(x) + x, whose derivative 1 shows sign's 0",
       kinks="the jump at 0: |x| >= 1e-3"),
    Op("norm", lambda a, p, dim, keepdim: a.norm(p, dim, keepdim), spell.norm_ref,
       spell.norm_cases([2, "fro", 1, 3, 1.5]),
       domain="|x| in [0.5, 3.5]; p = 2, 'fro', 1, 3, 1.5; dim None, an int or a tuple",
       kinks="|x| >= 0.5: far from the kinks of |x| and of the norm at 0"),
    Op("norm_inf", lambda a, p, dim, keepdim: minidl.norm(a, p, dim, keepdim), spell.norm_ref,
       spell.norm_cases([math.inf, -math.inf], spell.signed_distinct),
       domain="p = inf and -inf; |x| >= 1, of both signs",
       kinks="ties: the magnitudes are at least 0.1 apart"),
    Op("split", spell.split_fn, spell.split_ref, spell.split_cases(),
       domain="a size (the last piece shorter) or sizes adding up; pieces scaled 1, 2, ..."),
    Op("chunk", spell.chunk_fn, spell.chunk_ref, spell.chunk_cases(),
       domain="1..4 chunks of ceil(n / chunks); pieces scaled 1, 2, ..."),
    Op("dot", lambda a, b: a.dot(b), np.dot, spell.dot_cases(), domain="vectors of 1..5"),
    Op("mm", lambda a, b: minidl.mm(a, b), np.matmul, spell.mm_cases(),
       domain="matrices of sides 1..3"),
    Op("t", lambda a: a.t(), lambda a: a.T, spell.t_cases(), domain="0-d, 1-d and 2-d"),
    Op("clone", lambda a: a.clone() * 2, lambda a: a * 2, unary()),
]
# Issue 17's breadth: each area's rows live in a module of its own (tests/op_rows_*.py)
BREADTH = (op_rows_elementwise.ROWS + op_rows_reductions.ROWS + op_rows_shape.ROWS
           + op_rows_indexing.ROWS + op_rows_nn.ROWS + op_rows_conv.ROWS + op_rows_losses.ROWS
           + op_rows_more.ROWS)
OPS = ARITHMETIC + UNARY + SELECTION + REDUCTION + SHAPE + SEQUENCE + SPELLINGS + BREADTH
OPS_BY_NAME = {op.name: op for op in OPS}
