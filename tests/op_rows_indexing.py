"""Op-table rows of issue 17's indexing ops: gather, the scatter family, index_select,
index_add, masked_select, masked_scatter, and ``pad``'s modes and negative widths.

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. Index arrays travel in the params (as NumPy int64 arrays); each
``fn`` makes them tensors on the input's device (``ix``).

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import Case, distinct, off_zero, shapes, values
from op_row import Op
from op_rows_shape import ix, one_array, tix

import minidl

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = F = None

ROWS: List[Op] = []
TORCH: Dict[str, Callable] = {}


def row(name, fn, ref, cases, torch_fn, **words):
    ROWS.append(Op(name, fn, ref, cases, **words))
    TORCH[name] = torch_fn


# ------------------------------------------------------------------ gather and scatter
@st.composite
def _index_shape(draw, shape, axis, max_along=3):
    """An index shape for gather/scatter: at most ``shape`` outside ``axis``."""
    return tuple(draw(st.integers(1, max_along)) if d == axis else draw(st.integers(1, n))
                 for d, n in enumerate(shape))


@st.composite
def gather_cases(draw):
    a = draw(one_array())
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    shape = draw(_index_shape(a.shape, dim % a.ndim))
    index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, a.shape[dim] - 1)))
    return Case((a,), {"dim": dim, "index": index})


def _gather_ref(a, dim, index):
    axis = dim % a.ndim
    cut = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
    return np.take_along_axis(a[cut], index, axis)


row("gather", lambda a, dim, index: a.gather(dim, ix(a, index)), _gather_ref, gather_cases(),
    lambda a, dim, index: torch.gather(a, dim, tix(index)),
    domain="an int64 index no larger than the input outside dim, repeats allowed")
row("take_along_dim",
    lambda a, dim, index: minidl.take_along_dim(a, ix(a, index), None if dim == 0 else dim),
    lambda a, dim, index: _gather_ref(a.reshape(-1), 0, index.reshape(-1)) if dim == 0
    else np.take_along_axis(a, index, dim),
    gather_cases().filter(lambda c: all(
        m in (1, n) or d == c.params["dim"] % c.arrays[0].ndim
        for d, (m, n) in enumerate(zip(c.params["index"].shape, c.arrays[0].shape)))),
    lambda a, dim, index: torch.take_along_dim(a, tix(index), None if dim == 0 else dim),
    domain="indices broadcasting with the input outside dim; dim 0 stands for dim=None "
           "(both flattened)")


@st.composite
def scatter_cases(draw, unique=False, elements=values, fill=False):
    """self, src (of the index's shape) and an index along dim; with ``unique`` no
    position is written twice (PyTorch leaves repeated writes unspecified)."""
    a = draw(one_array(1, 2))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    axis = dim % a.ndim
    shape = draw(_index_shape(a.shape, axis, a.shape[axis] if unique else 3))
    if unique:
        order = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(
            shape[:axis] + (a.shape[axis],) + shape[axis + 1:]).argsort(axis)
        index = np.take(order, range(shape[axis]), axis=axis).astype(np.int64)
    else:
        index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, a.shape[axis] - 1)))
    # src of the index's shape: PyTorch's second derivative fails for a larger src
    # (tests/test_shape_more.py checks that case's values and gradients)
    src_shape = shape
    if fill:  # self and src drawn as one array of distinct values: no ties
        both = draw(elements((a.size + math.prod(src_shape),)))
        return Case((both[:a.size].reshape(a.shape), both[a.size:].reshape(src_shape)),
                    {"dim": dim, "index": index})
    return Case((draw(elements(a.shape)), draw(elements(src_shape))),
                {"dim": dim, "index": index})


def _scatter_ref(combine, reduce=None):
    """A loop over the index: out[target] = combine(out[target], src[p])."""
    def ref(a, b, dim, index, **params):
        out = a.copy()
        axis = dim % a.ndim
        for p in np.ndindex(index.shape):
            target = p[:axis] + (index[p],) + p[axis + 1:]
            out[target] = combine(out[target], b[p])
        return out
    return ref


row("scatter", lambda a, b, dim, index: a.scatter(dim, ix(a, index), b),
    _scatter_ref(lambda old, new: new), scatter_cases(unique=True),
    lambda a, b, dim, index: a.scatter(dim, tix(index), b),
    domain="no position written twice")
row("scatter_value", lambda a, b, dim, index: a.scatter(dim, ix(a, index), 1.5) * b.sum(),
    lambda a, b, dim, index: _scatter_ref(lambda old, new: 1.5)(a, b, dim, index) * b.sum(),
    scatter_cases(), lambda a, b, dim, index: a.scatter(dim, tix(index), 1.5) * b.sum(),
    domain="a number written (repeats write the same value), times sum(src) to use src")
row("scatter_add", lambda a, b, dim, index: a.scatter_add(dim, ix(a, index), b),
    _scatter_ref(np.add), scatter_cases(),
    lambda a, b, dim, index: a.scatter_add(dim, tix(index), b),
    domain="repeated positions add up")


def _reduce_ref(a, b, dim, index, reduce, include_self):
    """PyTorch's scatter_reduce, by a loop: gather each position's values, then reduce."""
    axis = dim % a.ndim
    sent: Dict[tuple, list] = {}
    for p in np.ndindex(index.shape):
        sent.setdefault(p[:axis] + (index[p],) + p[axis + 1:], []).append(b[p])
    out = a.copy()
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for target, vals in sent.items():
        out[target] = fn[reduce](vals + [a[target]] * include_self)
    return out


@st.composite
def scatter_reduce_cases(draw, reduces, elements=values, fill=False):
    case = draw(scatter_cases(elements=elements, fill=fill))
    return Case(case.arrays, {**case.params, "reduce": draw(st.sampled_from(reduces)),
                              "include_self": draw(st.booleans())})


def _scatter_reduce(a, b, dim, index, reduce, include_self):
    return a.scatter_reduce(dim, ix(a, index), b, reduce, include_self=include_self)


def _torch_scatter_reduce(a, b, dim, index, reduce, include_self):
    return a.scatter_reduce(dim, tix(index), b, reduce, include_self=include_self)


row("scatter_reduce", _scatter_reduce, _reduce_ref,
    scatter_reduce_cases(["sum", "mean"]), _torch_scatter_reduce,
    domain="sum and mean, with and without self; repeated positions")
row("scatter_reduce_extremes", _scatter_reduce, _reduce_ref,
    scatter_reduce_cases(["amax", "amin"], distinct, fill=True), _torch_scatter_reduce,
    domain="amax and amin, with and without self", kinks="self and src hold distinct values "
    "0.1 apart, so each position's extreme is unique")
@st.composite
def scatter_prod_cases(draw):
    """prod's cases, one element maybe set to exactly 0 (its gradient is then the product of
    the others, not y / x)."""
    case = draw(scatter_reduce_cases(["prod"], off_zero(0.5)))
    arrays = tuple(a.copy() for a in case.arrays)
    if draw(st.booleans()):
        which = draw(st.integers(0, 1))
        arrays[which].flat[draw(st.integers(0, arrays[which].size - 1))] = 0.0
    return Case(arrays, case.params)


row("scatter_reduce_prod", _scatter_reduce, _reduce_ref, scatter_prod_cases(),
    _torch_scatter_reduce, domain="prod, with and without self; |x| >= 0.5, or one x = 0",
    kinks="smooth (a polynomial); at most one zero, where the second derivative is exact")


@st.composite
def index_select_cases(draw):
    a = draw(one_array())
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    index = draw(st.lists(st.integers(0, a.shape[dim] - 1), min_size=1, max_size=4))
    return Case((a,), {"dim": dim, "index": np.array(index, dtype=np.int64)})


row("index_select", lambda a, dim, index: a.index_select(dim, ix(a, index)),
    lambda a, dim, index: np.take(a, index, axis=dim), index_select_cases(),
    lambda a, dim, index: a.index_select(dim, tix(index)), domain="1-4 indices, repeats too")


@st.composite
def index_add_cases(draw):
    case = draw(index_select_cases())
    a, (dim, index) = case.arrays[0], case.params.values()
    shape = list(a.shape)
    shape[dim] = index.size
    return Case((a, draw(values(tuple(shape)))),
                {**case.params, "alpha": draw(st.sampled_from([1, -2.5]))})


def _index_add_ref(a, b, dim, index, alpha):
    out = a.copy()
    np.add.at(np.moveaxis(out, dim, 0), index, alpha * np.moveaxis(b, dim, 0))
    return out


row("index_add", lambda a, b, dim, index, alpha: a.index_add(dim, ix(a, index), b, alpha=alpha),
    _index_add_ref, index_add_cases(),
    lambda a, b, dim, index, alpha: a.index_add(dim, tix(index), b, alpha=alpha),
    domain="repeated indices add up; alpha 1 or -2.5")


@st.composite
def masked_cases(draw, with_source=False):
    a = draw(one_array())
    mask_shape = a.shape[draw(st.integers(0, a.ndim)):]
    mask_shape = tuple(n if draw(st.booleans()) else 1 for n in mask_shape)
    mask = draw(hnp.arrays(np.bool_, mask_shape))
    arrays = (a,)
    if with_source:
        arrays += (draw(values((int(np.broadcast_to(mask, a.shape).sum())
                                + draw(st.integers(0, 2)),))),)
    return Case(arrays, {"mask": mask})


def _mask(a, mask):
    return minidl.tensor(mask, device=a.device)


def _masked_scatter_ref(a, b, mask):
    out = a.copy()
    full = np.broadcast_to(mask, a.shape)
    out[full] = b[:full.sum()]
    return out


row("masked_select", lambda a, mask: a.masked_select(_mask(a, mask)),
    lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))[
        np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))],
    masked_cases(), lambda a, mask: a.masked_select(torch.tensor(mask)),
    domain="a mask broadcasting with the input, maybe all False")
row("masked_scatter", lambda a, b, mask: a.masked_scatter(_mask(a, mask), b),
    _masked_scatter_ref, masked_cases(with_source=True),
    lambda a, b, mask: a.masked_scatter(torch.tensor(mask), b),
    domain="a mask broadcasting to the input; a source 0-2 elements longer than needed")


# ------------------------------------------------------------------ padding
@st.composite
def pad_mode_cases(draw):
    """PyTorch's rule for these modes: k padded dims of a (k+1)- or (k+2)-d input."""
    k = draw(st.integers(1, 2))
    shape = draw(shapes(k + 1, k + 2).filter(lambda s: len(s) >= k + 1))
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    pad = []
    for n in reversed(shape[-k:]):
        top = {"reflect": n - 1, "replicate": 2, "circular": n}[mode]
        pad += [draw(st.integers(0, top)), draw(st.integers(0, top))]
    return Case((draw(values(shape)),), {"pad": tuple(pad), "mode": mode})


def numpy_widths(pad, ndim):
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
row("pad_modes", lambda a, pad, mode: minidl.pad(a, pad, mode),
    lambda a, pad, mode: np.pad(a, numpy_widths(pad, a.ndim), NUMPY_MODES[mode]),
    pad_mode_cases(), lambda a, pad, mode: F.pad(a, pad, mode),
    domain="reflect (widths < size), replicate, circular (widths <= size)")


@st.composite
def crop_cases(draw):
    a = draw(one_array())
    pad = []
    for n in reversed(a.shape[a.ndim - draw(st.integers(1, a.ndim)):]):
        left = draw(st.integers(1 - n, 2))
        pad += [left, draw(st.integers(1 - n - min(left, 0), 2))]
    return Case((a,), {"pad": tuple(pad), "value": draw(st.floats(-2, 2))})


def _crop_ref(a, pad, value):
    cut = [slice(None)] * a.ndim
    for i, (left, right) in enumerate(numpy_widths(pad, a.ndim)):
        cut[i] = slice(max(-left, 0), a.shape[i] - max(-right, 0))
    positive = [(max(lo, 0), max(hi, 0)) for lo, hi in numpy_widths(pad, a.ndim)]
    return np.pad(a[tuple(cut)], positive, constant_values=value)


row("pad_crop", lambda a, pad, value: minidl.pad(a, pad, value=value), _crop_ref,
    crop_cases(), lambda a, pad, value: F.pad(a, pad, value=value),
    domain="constant mode with negative widths (cropping), never to an empty dim")
