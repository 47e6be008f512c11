"""Op-table rows of issue 17's reductions, scans and sorting: prod, cumsum,
cumprod, norms, median, sort, kthvalue, ...

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed.

prod and cumprod are polynomials, smooth everywhere, zeros included: their rows "with zeros"
put exact zeros in the input (central differences of a function linear in each variable are
exact there), to check the division-free gradients; elsewhere they keep |x| >= 0.1, where
PyTorch's own rules (which divide by x) lose no precision. The ops that select elements (sort,
kthvalue, median, cummax, amax, ...) draw ``distinct`` values, so no two elements tie.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from op_cases import (
    Case,
    distinct,
    numpy_axes,
    off_zero,
    reduction,
    shapes,
    unary,
    values,
    variance,
)
from op_row import Op

import minidl

try:
    import torch
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = None

TIES = "distinct values at least 0.1 apart, so the selected element is unique"


# ------------------------------------------------------------------ cases
AWAY = off_zero(0.1)  # PyTorch's rules for prod divide by x: their rounding grows near 0


def with_zeros(shape):
    """Values 0.1 or more away from 0, with some of them (none, one or several) set to
    exactly 0."""
    n = math.prod(shape)
    return st.tuples(AWAY(shape), st.lists(st.booleans(), min_size=n, max_size=n)).map(
        lambda pair: np.where(np.array(pair[1], bool).reshape(shape), 0.0, pair[0]))


@st.composite
def along_one_dim(draw, elements=values, min_dims: int = 0):
    """An input and one ``dim`` (any int in range, negative too)."""
    shape = draw(shapes(min_dims))
    rank = max(len(shape), 1)
    return Case((draw(elements(shape)),), {"dim": draw(st.integers(-rank, rank - 1))})


@st.composite
def prod_cases(draw, elements=AWAY):
    """dim None (every element), or an int with keepdim."""
    case = draw(along_one_dim(elements))
    if draw(st.booleans()):
        return Case(case.arrays, {"dim": None, "keepdim": False})
    return Case(case.arrays, {**case.params, "keepdim": draw(st.booleans())})


@st.composite
def sort_cases(draw):
    case = draw(along_one_dim(distinct))
    return Case(case.arrays, {**case.params, "descending": draw(st.booleans())})


@st.composite
def kthvalue_cases(draw):
    case = draw(along_one_dim(distinct))
    a, dim = case.arrays[0], case.params["dim"]
    n = a.shape[dim] if a.ndim else 1
    return Case(case.arrays, {"k": draw(st.integers(1, n)), "dim": dim,
                              "keepdim": draw(st.booleans())})


@st.composite
def median_cases(draw):
    case = draw(along_one_dim(distinct))
    return Case(case.arrays, {**case.params, "keepdim": draw(st.booleans())})


@st.composite
def aminmax_cases(draw):
    case = draw(along_one_dim(distinct))
    dim = case.params["dim"] if draw(st.booleans()) else None
    return Case(case.arrays, {"dim": dim, "keepdim": draw(st.booleans())})


@st.composite
def matrix_norm_cases(draw):
    """A matrix or a batch of them, |A| >= 0.5, an ord and the two dims. The column sums (for
    ord +-1) or row sums (for +-inf) of |A| of each matrix are at least 0.05 apart: no ties."""
    shape = draw(shapes(min_dims=2))
    ord = draw(st.sampled_from(["fro", 1, -1, math.inf, -math.inf]))
    nd = len(shape)
    rows, cols = draw(st.permutations(range(nd)))[:2]
    dim = (rows - nd * draw(st.booleans()), cols - nd * draw(st.booleans()))

    def apart(a):
        if ord == "fro":
            return True
        summed, varying = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = np.sort(np.moveaxis(np.abs(a).sum(axis=summed, keepdims=True), varying, -1),
                       axis=-1)
        return bool((np.diff(sums, axis=-1) >= 0.05).all())

    a = draw(off_zero(0.5)(shape).filter(apart))
    return Case((a,), {"ord": ord, "dim": dim, "keepdim": draw(st.booleans())})


# ------------------------------------------------------------------ references
def _axis(a, dim):
    return dim % a.ndim if a.ndim else None


def prod_ref(a, dim, keepdim):
    axis = None if dim is None else _axis(a, dim)
    return np.prod(a, axis=axis, keepdims=keepdim and a.ndim > 0)


def _scan_ref(ufunc):
    return lambda a, dim: a if a.ndim == 0 else ufunc.accumulate(a, axis=_axis(a, dim))


def sort_ref(a, dim, descending):
    if a.ndim == 0:
        return a
    s = np.sort(a, axis=_axis(a, dim))
    return np.flip(s, _axis(a, dim)) if descending else s


def _sorted_at(a, dim, position, keepdim):
    if a.ndim == 0:
        return a
    axis = _axis(a, dim)
    picked = np.take(np.sort(a, axis=axis), [position], axis=axis)
    return picked if keepdim else np.squeeze(picked, axis)


def kthvalue_ref(a, k, dim, keepdim):
    return _sorted_at(a, dim, k - 1, keepdim)


def median_ref(a, dim, keepdim):
    n = a.shape[dim] if a.ndim else 1
    return _sorted_at(a, dim, (n - 1) // 2, keepdim)


def median_all_ref(a):
    return np.sort(a.ravel())[(a.size - 1) // 2]


def aminmax_ref(a, dim, keepdim):
    axis = None if dim is None else _axis(a, dim)
    keep = keepdim and a.ndim > 0
    return 2 * np.min(a, axis=axis, keepdims=keep) + np.max(a, axis=axis, keepdims=keep)


def _amax_ref(np_fn):
    return lambda a, dim, keepdim: np_fn(a, axis=numpy_axes(dim, a.ndim), keepdims=keepdim)


def _moments_ref(np_fn):
    def ref(a, dim, keepdim, unbiased):
        axis = numpy_axes(dim, a.ndim)
        return np.stack([np_fn(a, axis=axis, keepdims=keepdim, ddof=int(unbiased)),
                         np.mean(a, axis=axis, keepdims=keepdim)])
    return ref


def vector_norm_ref(a, p, dim, keepdim):
    axes = numpy_axes(dim, a.ndim)
    m = np.abs(a)
    if p in (math.inf, -math.inf):
        return (np.max if p > 0 else np.min)(m, axis=axes, keepdims=keepdim)
    return np.sum(m ** p, axis=axes, keepdims=keepdim) ** (1 / p)


def matrix_norm_ref(a, ord, dim, keepdim):
    rows, cols = (d % a.ndim for d in dim)
    m = np.abs(a)
    if ord == "fro":
        y = np.sqrt(np.sum(m * m, axis=(rows, cols), keepdims=True))
    else:
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        y = (np.max if ord > 0 else np.min)(m.sum(axis=summed, keepdims=True), axis=over,
                                             keepdims=True)
    return y if keepdim else np.squeeze(y, (rows, cols))


# ------------------------------------------------------------------ rows
def _prod(a, dim, keepdim):
    return a.prod() if dim is None else a.prod(dim, keepdim)


def _aminmax(a, dim, keepdim):
    low, high = minidl.aminmax(a, dim=dim, keepdim=keepdim)
    return 2 * low + high


POLYNOMIAL = "a polynomial: smooth everywhere, at zeros too"
NEAR_ZERO = "|x| in [0.1, 3.1]"
WITH_ZEROS = NEAR_ZERO + ", some elements exactly 0"
ROWS: List[Op] = [
    Op("prod", _prod, prod_ref, prod_cases(), domain=NEAR_ZERO, kinks=POLYNOMIAL),
    Op("prod_with_zeros", _prod, prod_ref, prod_cases(with_zeros), domain=WITH_ZEROS,
       kinks=POLYNOMIAL),
    Op("cumsum", lambda a, dim: a.cumsum(dim), _scan_ref(np.add), along_one_dim()),
    Op("cumprod", lambda a, dim: minidl.cumprod(a, dim), _scan_ref(np.multiply),
       along_one_dim(AWAY), domain=NEAR_ZERO, kinks=POLYNOMIAL),
    Op("cumprod_with_zeros", lambda a, dim: a.cumprod(dim), _scan_ref(np.multiply),
       along_one_dim(with_zeros), domain=WITH_ZEROS, kinks=POLYNOMIAL),
    Op("logcumsumexp", lambda a, dim: a.logcumsumexp(dim), _scan_ref(np.logaddexp),
       along_one_dim()),
    Op("cummax_values", lambda a, dim: a.cummax(dim).values, _scan_ref(np.maximum),
       along_one_dim(distinct), kinks=TIES),
    Op("cummin_values", lambda a, dim: minidl.cummin(a, dim).values, _scan_ref(np.minimum),
       along_one_dim(distinct), kinks=TIES),
    Op("amax", lambda a, dim, keepdim: a.amax(dim, keepdim), _amax_ref(np.max),
       reduction(distinct), kinks=TIES),
    Op("amin", lambda a, dim, keepdim: minidl.amin(a, dim, keepdim), _amax_ref(np.min),
       reduction(distinct), kinks=TIES),
    Op("aminmax", _aminmax, aminmax_ref, aminmax_cases(), kinks=TIES),
    Op("sort_values", lambda a, dim, descending: a.sort(dim, descending).values, sort_ref,
       sort_cases(), kinks=TIES),
    Op("kthvalue_values", lambda a, k, dim, keepdim: a.kthvalue(k, dim, keepdim).values,
       kthvalue_ref, kthvalue_cases(), kinks=TIES),
    Op("median_dim", lambda a, dim, keepdim: a.median(dim, keepdim).values, median_ref,
       median_cases(), kinks=TIES),
    Op("median_all", lambda a: minidl.median(a), median_all_ref, unary(distinct), kinks=TIES),
    Op("nanmedian_dim", lambda a, dim, keepdim: a.nanmedian(dim, keepdim).values, median_ref,
       median_cases(), kinks=TIES),
    Op("var_mean", lambda a, dim, keepdim, unbiased: minidl.stack(
        minidl.var_mean(a, dim, unbiased, keepdim)), _moments_ref(np.var), variance(),
       domain="[-3, 3], at least 2 elements per reduced slice"),
    Op("std_mean", lambda a, dim, keepdim, unbiased: minidl.stack(
        minidl.std_mean(a, dim, unbiased, keepdim)), _moments_ref(np.std),
       variance(distinct), domain="at least 2 elements per reduced slice",
       kinks="sqrt at variance 0: " + TIES),
    Op("linalg_vector_norm", lambda a, p, dim, keepdim: minidl.linalg.vector_norm(
        a, p, dim, keepdim), vector_norm_ref,
       st.builds(lambda c, p: Case(c.arrays, {**c.params, "p": p}),
                 reduction(off_zero(0.5)), st.sampled_from([2, 1, 3, 0.5])),
       domain="|x| in [0.5, 3.5]", kinks="|x| >= 0.5: far from the kinks of |x| and at 0"),
    Op("linalg_matrix_norm", lambda a, ord, dim, keepdim: minidl.linalg.matrix_norm(
        a, ord, dim, keepdim), matrix_norm_ref, matrix_norm_cases(),
       domain="|A| in [0.5, 3.5]",
       kinks="|A| >= 0.5, and the column (row) sums of |A| at least 0.05 apart: no ties"),
]


# ------------------------------------------------------------------ the same with PyTorch
def _torch_prod(a, dim, keepdim):
    return a.prod() if dim is None else a.prod(dim, keepdim)


def _torch_dims(dim, ndim):
    """() and None both mean every dim in minidl; PyTorch's amax wants them all by name."""
    return tuple(range(ndim)) if dim in ((), None) else dim


def _torch_aminmax(a, dim, keepdim):
    low, high = torch.aminmax(a, dim=dim, keepdim=keepdim)
    return 2 * low + high


def _torch_stack(name):
    """torch.<name> (var_mean or std_mean) with its two results stacked; looked up when called,
    so that the table's names are checked without PyTorch installed."""
    def computed(a, dim, keepdim, unbiased):
        dim = None if dim == () else dim  # (PyTorch's var with () differentiates twice wrong)
        return torch.stack(getattr(torch, name)(a, dim, correction=int(unbiased),
                                                keepdim=keepdim))
    return computed


TORCH: Dict[str, Callable] = {
    "prod": _torch_prod,
    "prod_with_zeros": _torch_prod,
    "cumsum": lambda a, dim: a.cumsum(dim),
    "cumprod": lambda a, dim: a.cumprod(dim),
    "cumprod_with_zeros": lambda a, dim: a.cumprod(dim),
    "logcumsumexp": lambda a, dim: a.logcumsumexp(dim),
    "cummax_values": lambda a, dim: a.cummax(dim).values,
    "cummin_values": lambda a, dim: a.cummin(dim).values,
    "amax": lambda a, dim, keepdim: a.amax(_torch_dims(dim, a.ndim), keepdim),
    "amin": lambda a, dim, keepdim: a.amin(_torch_dims(dim, a.ndim), keepdim),
    "aminmax": _torch_aminmax,
    "sort_values": lambda a, dim, descending: a.sort(dim, descending).values,
    "kthvalue_values": lambda a, k, dim, keepdim: a.kthvalue(k, dim, keepdim).values,
    "median_dim": lambda a, dim, keepdim: a.median(dim, keepdim).values,
    "median_all": lambda a: a.median(),
    "nanmedian_dim": lambda a, dim, keepdim: a.nanmedian(dim, keepdim).values,
    "var_mean": _torch_stack("var_mean"),
    "std_mean": _torch_stack("std_mean"),
    "linalg_vector_norm": lambda a, p, dim, keepdim: torch.linalg.vector_norm(
        a, p, _torch_dims(dim, a.ndim), keepdim),
    "linalg_matrix_norm": lambda a, ord, dim, keepdim: torch.linalg.matrix_norm(
        a, ord, dim, keepdim),
}
