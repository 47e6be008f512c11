"""Cases and NumPy references for the rows of ``tests/op_table.py`` that PyTorch's everyday
spellings added (issue 16): log1p, expm1, rsqrt, sign, the vector norms, split, chunk, dot, mm,
t and clone.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from op_cases import Case, distinct, numpy_axes, off_zero, reduction, shapes, values

import minidl


# ------------------------------------------------------------------ norms
@st.composite
def signed_distinct(draw, shape):
    """Values of both signs whose magnitudes are at least 0.1 apart and at least 1 from 0: the
    largest and smallest |x| are unique, so the inf-norms have no ties."""
    magnitudes = draw(distinct(shape)) + 0.3 * math.prod(shape) + 1.0
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=math.prod(shape),
                                   max_size=math.prod(shape))))
    return magnitudes * signs.reshape(shape)


def norm_ref(a, p, dim, keepdim):
    axes = numpy_axes(dim, a.ndim)
    m = np.abs(a)
    if p == math.inf:
        return np.max(m, axis=axes, keepdims=keepdim)
    if p == -math.inf:
        return np.min(m, axis=axes, keepdims=keepdim)
    p = 2 if p == "fro" else p
    return np.sum(m ** p, axis=axes, keepdims=keepdim) ** (1 / p)


@st.composite
def norm_cases(draw, orders, elements=None):
    """A p from ``orders``, a dim (None, an int, a tuple) and keepdim; by default |x| >= 0.5,
    so the norm is far from its kink at 0 (and the 1-norm from those of |x|)."""
    case = draw(reduction(elements or off_zero(0.5)))
    return Case(case.arrays, {**case.params, "p": draw(st.sampled_from(orders))})


# ------------------------------------------------------------------ split and chunk
def _weighted(pieces, dim):
    """The pieces joined again, piece i times i + 1: each piece's gradient is told apart."""
    return [p * (i + 1) for i, p in enumerate(pieces)]


def split_fn(a, sizes, dim):
    return minidl.cat(_weighted(a.split(sizes, dim), dim), dim)


def split_ref(a, sizes, dim):
    n = a.shape[dim]
    if isinstance(sizes, int):
        sizes = [sizes] * (n // sizes) + ([n % sizes] if n % sizes else [])
    bounds = np.cumsum(sizes)[:-1]
    return np.concatenate(_weighted(np.split(a, bounds, axis=dim), dim), axis=dim)


@st.composite
def split_cases(draw):
    """A size (the last piece maybe shorter) or a list of sizes adding up to the dim's."""
    shape = draw(shapes(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    if draw(st.booleans()):
        sizes = draw(st.integers(1, n + 1))
    else:
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        sizes = np.diff([0] + cuts + [n]).tolist()
    return Case((draw(values(shape)),), {"sizes": sizes, "dim": dim})


def chunk_fn(a, chunks, dim):
    return minidl.cat(_weighted(a.chunk(chunks, dim), dim), dim)


def chunk_ref(a, chunks, dim):
    n = a.shape[dim]
    return split_ref(a, max(1, -(-n // chunks)), dim)


@st.composite
def chunk_cases(draw):
    shape = draw(shapes(min_dims=1))
    return Case((draw(values(shape)),), {"chunks": draw(st.integers(1, 4)),
                                         "dim": draw(st.integers(-len(shape), len(shape) - 1))})


# ------------------------------------------------------------------ products
@st.composite
def dot_cases(draw):
    n = draw(st.integers(1, 5))
    return Case((draw(values((n,))), draw(values((n,)))), {})


@st.composite
def mm_cases(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    return Case((draw(values((n, k))), draw(values((k, m)))), {})


@st.composite
def t_cases(draw):
    return Case((draw(values(draw(shapes(max_dims=2)))),), {})
