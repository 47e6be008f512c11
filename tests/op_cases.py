"""Hypothesis strategies for the inputs of the ops in ``tests/op_table.py``.

Each strategy draws a ``Case``: the input arrays (float64) and the op's other arguments (dims,
shapes, keys, ...). Shapes stay small, at most ``MAX_SIZE`` elements per input, because
gradgradcheck costs a backward pass per input element per output element. Where an op has a
kink or a pole, the strategy keeps the samples away from it (central differences step 1e-6 to
each side, so any margin well above that will do): ``off_zero``, ``on_grid``, ``distinct``.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import testing

MAX_SIZE = 24


class Case(NamedTuple):
    arrays: Tuple[np.ndarray, ...]
    params: dict


# ------------------------------------------------------------------ shapes and values
def _small(shape) -> bool:
    return math.prod(shape) <= MAX_SIZE


def shapes(min_dims: int = 0, max_dims: int = 3):
    return testing.shapes(min_dims, max_dims, min_side=1, max_side=3).filter(_small)


def values(shape, low: float = -3.0, high: float = 3.0):
    return testing.float_arrays(shape, low, high)


def off_zero(margin: float):
    """Values in [-3, 3] pushed away from 0 by ``margin`` (x -> x + sign(x) * margin)."""
    return lambda shape: values(shape).map(lambda a: a + np.copysign(margin, a))


def positive(low: float = 0.5, high: float = 3.0):
    return lambda shape: values(shape, low, high)


def on_grid(offset: float):
    """Values 0.25 * k + offset + [0, 0.05): two grids with offsets 0 and 0.1 never come closer
    than 0.05, however their elements are paired by broadcasting (no ties in maximum/minimum)."""
    def strategy(shape):
        def snap(u):
            q = np.floor(4 * u)
            return q / 4 + offset + 0.05 * (4 * u - q)
        return values(shape).map(snap)
    return strategy


@st.composite
def distinct(draw, shape):
    """Values at least 0.1 apart from each other: no ties for max/min, a variance above 0."""
    n = math.prod(shape)
    order = np.array(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = draw(values((n,), 0.0, 0.2))
    return ((order - n / 2) * 0.3 + jitter).reshape(shape)


def broadcast_shapes(num_shapes: int = 2):
    return testing.broadcastable_shapes(num_shapes, max_dims=3, max_side=3).filter(
        lambda ss: all(_small(s) for s in ss) and _small(np.broadcast_shapes(*ss)))


# ------------------------------------------------------------------ case strategies
@st.composite
def unary(draw, elements=values, min_dims: int = 0):
    shape = draw(shapes(min_dims))
    return Case((draw(elements(shape)),), {})


@st.composite
def binary(draw, left=values, right=values):
    """Two inputs of mutually broadcastable shapes."""
    a, b = draw(broadcast_shapes())
    return Case((draw(left(a)), draw(right(b))), {})


@st.composite
def whole_exponent_cases(draw):
    """A base of either sign, 0.5 away from 0, and a constant exponent tensor of whole numbers
    -2..3 broadcasting with it (the param ``exponent``)."""
    a, b = draw(broadcast_shapes())
    exponent = draw(hnp.arrays(np.float64, b, elements=st.integers(-2, 3).map(float)))
    return Case((draw(off_zero(0.5)(a)),), {"exponent": exponent})


@st.composite
def with_scalar(draw, elements=values, scalar=None):
    shape = draw(shapes())
    scalar = st.floats(-3, 3) if scalar is None else scalar
    return Case((draw(elements(shape)),), {"c": draw(scalar)})


def numpy_axes(dim, ndim: int):
    """``dim`` as NumPy's axis argument (a 0-d tensor, and ``dim=()`` as in PyTorch, reduce
    over everything)."""
    if dim is None or ndim == 0 or dim == ():
        return None
    return tuple(d % ndim for d in ((dim,) if isinstance(dim, int) else dim))


def _count(shape, dim) -> int:
    axes = numpy_axes(dim, len(shape))
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


def dims(ndim: int, tuples: bool = True, none: bool = True, empty: bool = False):
    """A ``dim`` argument: None, an int (maybe negative), or a tuple of distinct dims (empty
    too if ``empty``: for reductions, () is every dim, as in PyTorch)."""
    rank = max(ndim, 1)
    one = st.integers(-rank, rank - 1)
    options = [one]
    if none:
        options.append(st.none())
    if tuples and ndim:
        options.append(st.lists(st.integers(0, ndim - 1), min_size=0 if empty else 1,
                                max_size=ndim, unique=True).flatmap(
            lambda ds: st.tuples(*(st.sampled_from([d, d - ndim]) for d in ds))))
    return st.one_of(options)


@st.composite
def reduction(draw, elements=values, tuples=True, none=True, min_count=1, keepdim=True):
    shape = draw(shapes().filter(lambda s: math.prod(s) >= min_count))
    dim = draw(dims(len(shape), tuples, none, empty=tuples).filter(
        lambda d: _count(shape, d) >= min_count))
    params = {"dim": dim}
    if keepdim:
        params["keepdim"] = draw(st.booleans())
    return Case((draw(elements(shape)),), params)


@st.composite
def variance(draw, elements=values):
    case = draw(reduction(elements, min_count=2))
    return Case(case.arrays, {**case.params, "unbiased": draw(st.booleans())})


@st.composite
def matmul_cases(draw):
    """1-D, 2-D and batched operands; batch dimensions broadcast against each other."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(testing.broadcastable_shapes(2, max_dims=2, max_side=2))
    a = (k,) if draw(st.booleans()) else batch_a + (n, k)
    b = (k,) if draw(st.booleans()) else batch_b + (k, m)
    if not (_small(a) and _small(b)):
        a, b = a[-2:], b[-2:]
    return Case((draw(values(a)), draw(values(b))), {})


def _shapes_of_size(n: int, max_dims: int = 3):
    """Every shape with at most ``max_dims`` dimensions holding ``n`` elements."""
    found = [()] if n == 1 else []
    if max_dims:
        for d in range(1, n + 1):
            if n % d == 0:
                found += [(d,) + rest for rest in _shapes_of_size(n // d, max_dims - 1)]
    return found


@st.composite
def reshape_cases(draw):
    case = draw(unary())
    shape = draw(st.sampled_from(_shapes_of_size(case.arrays[0].size)))
    if shape and draw(st.booleans()):
        i = draw(st.integers(0, len(shape) - 1))
        shape = shape[:i] + (-1,) + shape[i + 1:]
    return Case(case.arrays, {"shape": shape, "method": draw(st.sampled_from(["reshape",
                                                                              "view"]))})


@st.composite
def flatten_cases(draw):
    case = draw(unary(min_dims=1))
    nd = case.arrays[0].ndim
    start, end = sorted(draw(st.integers(0, nd - 1)) for _ in range(2))
    start -= nd * draw(st.booleans())
    end -= nd * draw(st.booleans())
    return Case(case.arrays, {"start_dim": start, "end_dim": end})


@st.composite
def transpose_cases(draw):
    case = draw(unary(min_dims=1))
    nd = case.arrays[0].ndim
    return Case(case.arrays, {"dim0": draw(st.integers(-nd, nd - 1)),
                              "dim1": draw(st.integers(-nd, nd - 1))})


@st.composite
def permute_cases(draw):
    case = draw(unary())
    nd = case.arrays[0].ndim
    order = draw(st.permutations(range(nd)))
    return Case(case.arrays, {"dims": tuple(d - nd * draw(st.booleans()) for d in order)})


@st.composite
def squeeze_cases(draw):
    case = draw(unary())
    return Case(case.arrays, {"dim": draw(dims(case.arrays[0].ndim))})


@st.composite
def unsqueeze_cases(draw):
    case = draw(unary())
    nd = case.arrays[0].ndim
    return Case(case.arrays, {"dim": draw(st.integers(-nd - 1, nd))})


@st.composite
def expand_cases(draw):
    """Sizes for ``expand``: -1 keeps a dimension, size-1 dimensions may grow, and new leading
    dimensions may be added. The params hold both the sizes and the shape they resolve to."""
    case = draw(unary())
    shape = case.arrays[0].shape
    lead = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    sizes = lead + tuple(draw(st.sampled_from([1, 2, 3, -1] if n == 1 else [n, -1]))
                         for n in shape)
    resolved = lead + tuple(n if s == -1 else s for n, s in zip(shape, sizes[len(lead):]))
    if not _small(resolved):
        sizes = resolved = shape
    return Case(case.arrays, {"sizes": sizes, "shape": resolved})


@st.composite
def sum_to_cases(draw):
    case = draw(unary(min_dims=1))
    shape = case.arrays[0].shape
    kept = shape[draw(st.integers(0, len(shape))):]
    return Case(case.arrays, {"shape": tuple(draw(st.sampled_from([n, 1])) for n in kept)})


@st.composite
def basic_index_cases(draw):
    """Keys of ints, slices (any step sign), None and Ellipsis; never an empty result."""
    case = draw(unary(min_dims=1))
    shape = case.arrays[0].shape

    def part(n):  # an index for a dimension of size n
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            return draw(st.integers(-n, n - 1))
        if kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            return slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, -1, -2])))
        return slice(None)

    # Parts for some leading dims, then maybe an Ellipsis and parts for some trailing dims:
    # each part must index the dimension whose size it was drawn for.
    leading = draw(st.integers(0, len(shape)))
    parts = [part(n) for n in shape[:leading]]
    if draw(st.booleans()):
        trailing = draw(st.integers(0, len(shape) - leading))
        parts += [Ellipsis] + [part(n) for n in shape[len(shape) - trailing:]]
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    key = parts[0] if len(parts) == 1 and draw(st.booleans()) else tuple(parts)
    if case.arrays[0][key].size == 0:
        key = (Ellipsis, None)
    return Case(case.arrays, {"key": key})


@st.composite
def int_array_index_cases(draw):
    """An integer index list along one dimension, always holding a repeated index."""
    case = draw(unary(min_dims=1))
    shape = case.arrays[0].shape
    axis = draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    index = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3))
    index.append(index[0])
    return Case(case.arrays, {"axis": axis, "index": index,
                              "as_tensor": draw(st.booleans())})


@st.composite
def index_pairs_cases(draw):
    """``x[rows, cols]`` with integer lists; one (row, col) pair is repeated."""
    case = draw(unary(min_dims=2))
    n0, n1 = case.arrays[0].shape[:2]
    pairs = draw(st.lists(st.tuples(st.integers(-n0, n0 - 1), st.integers(-n1, n1 - 1)),
                          min_size=1, max_size=3))
    pairs.append(pairs[-1])
    return Case(case.arrays, {"rows": [p[0] for p in pairs], "cols": [p[1] for p in pairs]})


@st.composite
def mask_cases(draw):
    """A boolean mask over the leading dimensions (maybe all), with at least one True."""
    case = draw(unary(min_dims=1))
    shape = case.arrays[0].shape
    mask_shape = shape[:draw(st.integers(1, len(shape)))]
    mask = draw(hnp.arrays(np.bool_, mask_shape).filter(lambda m: m.any()))
    return Case(case.arrays, {"mask": mask})


@st.composite
def cat_cases(draw):
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(base), len(base) - 1))
    arrays = []
    for _ in range(draw(st.integers(2, 3))):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 3))
        arrays.append(draw(values(tuple(shape))))
    if sum(a.size for a in arrays) > MAX_SIZE:
        arrays = [a.take([0], axis) for a in arrays]  # size 1 along dim keeps it small
    return Case(tuple(arrays), {"dim": axis})


@st.composite
def stack_cases(draw):
    shape = draw(shapes(max_dims=2))
    count = draw(st.integers(2, 3))
    arrays = tuple(draw(values(shape)) for _ in range(count))
    nd = len(shape)
    return Case(arrays, {"dim": draw(st.integers(-nd - 1, nd))})


@st.composite
def pad_cases(draw):
    case = draw(unary(min_dims=1))
    nd = case.arrays[0].ndim
    widths = draw(st.lists(st.integers(0, 2), min_size=2, max_size=2 * nd).filter(
        lambda w: len(w) % 2 == 0))
    padded = np.pad(case.arrays[0], numpy_pad_widths(widths, nd))
    if padded.size > 2 * MAX_SIZE:
        widths = [1, 0]
    return Case(case.arrays, {"pad": tuple(widths), "value": draw(st.floats(-2, 2))})


def numpy_pad_widths(pad, ndim):
    """PyTorch's (left, right, top, bottom, ...) as NumPy's per-dimension (before, after)."""
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


@st.composite
def where_cases(draw):
    cond_shape, a, b = draw(broadcast_shapes(3))
    return Case((draw(values(a)), draw(values(b))),
                {"cond": draw(hnp.arrays(np.bool_, cond_shape))})


@st.composite
def clamp_cases(draw):
    """Bounds 0.5 or more apart (either may be None), data at least 1e-3 away from both."""
    lo, hi = draw(st.sampled_from([(-1.0, 1.0), (-2.5, 0.5), (0.0, None), (None, 0.25),
                                   (-0.5, 2.0)]))
    case = draw(unary())
    a = case.arrays[0]
    for bound in (lo, hi):
        if bound is not None:
            a = np.where(np.abs(a - bound) < 1e-3, bound + 2e-3, a)
    return Case((a,), {"lo": lo, "hi": hi})
