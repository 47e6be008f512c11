"""Op-table rows of issue 17's shape ops: repeat, tile, flip, roll, movedim, narrow, unfold,
unflatten, meshgrid, the diagonals and einsum (gather, scatter and padding modes are in
``tests/op_rows_indexing.py``).

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. Index arrays travel in the params (as NumPy int64 arrays); each
``fn`` makes them tensors on the input's device.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import MAX_SIZE, Case, distinct, off_zero, shapes, values
from op_row import Op

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


def ix(a, index):
    """An index array as an int64 tensor on a's device."""
    return minidl.tensor(np.asarray(index, dtype=np.int64), device=a.device)


def tix(index):
    return torch.tensor(np.asarray(index, dtype=np.int64))


def _weighted(pieces):
    """Piece i times i + 1, so that each piece's gradient is told apart."""
    return [p * (i + 1) for i, p in enumerate(pieces)]


def _small(shape) -> bool:
    return math.prod(shape) <= MAX_SIZE


@st.composite
def one_array(draw, min_dims=1, max_dims=3, elements=values):
    shape = draw(shapes(min_dims, max_dims))
    return draw(elements(shape))


# ------------------------------------------------------------------ rearranging
@st.composite
def repeat_cases(draw):
    a = draw(one_array(0, 2))
    extra = draw(st.integers(0 if a.ndim else 1, 1))  # (PyTorch wants at least one size)
    sizes = tuple(draw(st.integers(1, 2)) for _ in range(a.ndim + extra))
    if not _small(np.multiply(sizes, (1,) * (len(sizes) - a.ndim) + a.shape)):
        sizes = (1,) * len(sizes)
    return Case((a,), {"sizes": sizes})


row("repeat", lambda a, sizes: a.repeat(*sizes), lambda a, sizes: np.tile(a, sizes),
    repeat_cases(), lambda a, sizes: a.repeat(*sizes),
    domain="0-2-d; each dim repeated 1-2 times, maybe a new leading one")
row("tile", lambda a, sizes: minidl.tile(a, sizes[len(sizes) // 2:]),
    lambda a, sizes: np.tile(a, sizes[len(sizes) // 2:]), repeat_cases(),
    lambda a, sizes: torch.tile(a, sizes[len(sizes) // 2:]),
    domain="0-2-d; fewer sizes than dims repeat the trailing ones")


@st.composite
def repeat_interleave_cases(draw):
    a = draw(one_array(1, 2))
    dim = draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    n = a.size if dim is None else a.shape[dim]
    counts = draw(st.one_of(st.integers(1, 2),
                            st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    return Case((a,), {"repeats": counts, "dim": dim})


def _repeats(a, repeats, tensor):
    return repeats if isinstance(repeats, int) else tensor(repeats)


row("repeat_interleave",
    lambda a, repeats, dim: a.repeat_interleave(_repeats(a, repeats, lambda r: ix(a, r)), dim),
    lambda a, repeats, dim: np.repeat(a, repeats, axis=dim), repeat_interleave_cases(),
    lambda a, repeats, dim: a.repeat_interleave(_repeats(a, repeats, tix), dim),
    domain="an int count, or a count 0-2 per element (an int64 tensor); dim None flattens")


@st.composite
def flip_cases(draw):
    a = draw(one_array())
    dims = draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, max_size=a.ndim, unique=True))
    return Case((a,), {"dims": tuple(d - a.ndim * draw(st.booleans()) for d in dims)})


row("flip", lambda a, dims: a.flip(dims), lambda a, dims: np.flip(a, dims), flip_cases(),
    lambda a, dims: a.flip(dims))


@st.composite
def roll_cases(draw):
    a = draw(one_array())
    if draw(st.booleans()):
        return Case((a,), {"shifts": draw(st.integers(-5, 5)), "dims": None})
    dims = draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=2))
    return Case((a,), {"shifts": tuple(draw(st.integers(-4, 4)) for _ in dims),
                       "dims": tuple(dims)})


row("roll", lambda a, shifts, dims: a.roll(shifts, dims),
    lambda a, shifts, dims: np.roll(a, shifts, dims), roll_cases(),
    lambda a, shifts, dims: a.roll(shifts, dims),
    domain="shifts of either sign, larger than the size too; no dims (flattened) or 1-2 dims")


@st.composite
def movedim_cases(draw):
    a = draw(one_array())
    k = draw(st.integers(1, a.ndim))
    source = draw(st.permutations(range(a.ndim)))[:k]
    destination = draw(st.permutations(range(a.ndim)))[:k]
    return Case((a,), {"source": tuple(source), "destination": tuple(destination),
                       "name": draw(st.sampled_from(["movedim", "moveaxis"]))})


row("movedim", lambda a, source, destination, name: getattr(a, name)(source, destination),
    lambda a, source, destination, name: np.moveaxis(a, source, destination),
    movedim_cases(), lambda a, source, destination, name: a.movedim(source, destination))


@st.composite
def two_dims_cases(draw):
    a = draw(one_array())
    return Case((a,), {"dim0": draw(st.integers(-a.ndim, a.ndim - 1)),
                       "dim1": draw(st.integers(-a.ndim, a.ndim - 1))})


row("swapaxes", lambda a, dim0, dim1: a.swapaxes(dim0, dim1),
    lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), two_dims_cases(),
    lambda a, dim0, dim1: a.swapaxes(dim0, dim1))


@st.composite
def narrow_cases(draw):
    a = draw(one_array())
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    start = draw(st.integers(0, n - 1))
    length = draw(st.integers(1, n - start))
    return Case((a,), {"dim": dim, "start": start - n * draw(st.booleans()), "length": length})


def _narrow_ref(a, dim, start, length):
    start %= a.shape[dim]
    return np.take(a, range(start, start + length), axis=dim)


row("narrow", lambda a, dim, start, length: a.narrow(dim, start, length), _narrow_ref,
    narrow_cases(), lambda a, dim, start, length: a.narrow(dim, start, length),
    domain="a start counted from either end")


@st.composite
def unfold_cases(draw):
    a = draw(one_array())
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    size = draw(st.integers(1, a.shape[dim]))
    return Case((a,), {"dimension": dim, "size": size, "step": draw(st.integers(1, 2))})


def _unfold_ref(a, dimension, size, step):
    axis = dimension % a.ndim
    windows = [np.take(a, range(w, w + size), axis=axis)
               for w in range(0, a.shape[axis] - size + 1, step)]
    return np.moveaxis(np.stack(windows, axis), axis + 1, -1)


row("unfold", lambda a, dimension, size, step: a.unfold(dimension, size, step), _unfold_ref,
    unfold_cases(), lambda a, dimension, size, step: a.unfold(dimension, size, step),
    domain="windows of 1..n elements, step 1 or 2 (overlapping windows add their gradients)")


@st.composite
def one_dim_cases(draw):
    a = draw(one_array())
    return Case((a,), {"dim": draw(st.integers(-a.ndim, a.ndim - 1))})


row("unbind", lambda a, dim: minidl.stack(_weighted(a.unbind(dim)), dim),
    lambda a, dim: np.stack(_weighted([np.take(a, i, axis=dim)
                                       for i in range(a.shape[dim])]), dim),
    one_dim_cases(), lambda a, dim: torch.stack(_weighted(a.unbind(dim)), dim),
    domain="the slices scaled 1, 2, ... and stacked again")


@st.composite
def unflatten_cases(draw):
    a = draw(one_array())
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    first = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    sizes = [first, n // first]
    if draw(st.booleans()):
        sizes[draw(st.integers(0, 1))] = -1
    return Case((a,), {"dim": dim, "sizes": tuple(sizes)})


def _unflatten_ref(a, dim, sizes):
    axis = dim % a.ndim
    return a.reshape(a.shape[:axis] + sizes + a.shape[axis + 1:])


row("unflatten", lambda a, dim, sizes: a.unflatten(dim, sizes), _unflatten_ref,
    unflatten_cases(), lambda a, dim, sizes: a.unflatten(dim, sizes),
    domain="a dim split in two, maybe with -1")


@st.composite
def meshgrid_cases(draw):
    sides = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).filter(_small))
    return Case(tuple(draw(values((n,))) for n in sides),
                {"indexing": draw(st.sampled_from(["ij", "xy"]))})


row("meshgrid", lambda *xs, indexing: minidl.stack(_weighted(minidl.meshgrid(
    *xs, indexing=indexing))),
    lambda *xs, indexing: np.stack(_weighted(np.meshgrid(*xs, indexing=indexing))),
    meshgrid_cases(), lambda *xs, indexing: torch.stack(_weighted(torch.meshgrid(
        *xs, indexing=indexing))), domain="1-3 vectors; the grids scaled 1, 2, ... and stacked")


# ------------------------------------------------------------------ diagonals
@st.composite
def diag_cases(draw):
    a = draw(one_array(1, 2))
    if a.ndim == 1:
        return Case((a,), {"diagonal": draw(st.integers(-2, 2))})
    rows, cols = a.shape
    return Case((a,), {"diagonal": draw(st.integers(1 - rows, cols - 1))})


row("diag", lambda a, diagonal: a.diag(diagonal), lambda a, diagonal: np.diag(a, diagonal),
    diag_cases(), lambda a, diagonal: torch.diag(a, diagonal),
    domain="a vector onto a diagonal -2..2, or a (non-empty) diagonal of a matrix")


@st.composite
def diagonal_cases(draw):
    a = draw(one_array(2, 3))
    dim1, dim2 = draw(st.permutations(range(a.ndim)))[:2]
    offset = draw(st.integers(1 - a.shape[dim1], a.shape[dim2] - 1))
    return Case((a,), {"offset": offset, "dim1": dim1 - a.ndim * draw(st.booleans()),
                       "dim2": dim2})


row("diagonal", lambda a, offset, dim1, dim2: a.diagonal(offset, dim1, dim2),
    lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2), diagonal_cases(),
    lambda a, offset, dim1, dim2: a.diagonal(offset, dim1, dim2))


@st.composite
def diag_embed_cases(draw):
    a = draw(one_array(1, 2).filter(lambda a: a.shape[-1] <= 3 and a.size <= 6))
    nd = a.ndim + 1
    dim1, dim2 = draw(st.permutations(range(nd)))[:2]
    return Case((a,), {"offset": draw(st.integers(-1, 1)),
                       "dim1": dim1 - nd * draw(st.booleans()), "dim2": dim2})


def _diag_embed_ref(a, offset, dim1, dim2):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for i in range(a.shape[-1]):
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a[..., i]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


row("diag_embed", lambda a, offset, dim1, dim2: a.diag_embed(offset, dim1, dim2),
    _diag_embed_ref, diag_embed_cases(),
    lambda a, offset, dim1, dim2: torch.diag_embed(a, offset, dim1, dim2))

# ------------------------------------------------------------------ einsum
EQUATIONS = {  # equation: a function of three sides to the operand shapes
    "ij,jk->ik": lambda n, m, k: [(n, m), (m, k)],
    "bij,bjk->bik": lambda n, m, k: [(2, n, m), (2, m, k)],
    "...ij,...jk->...ik": lambda n, m, k: [(2, 1, n, m), (k, m, 2)],
    "i,j->ij": lambda n, m, k: [(n,), (m,)],
    "ij->ji": lambda n, m, k: [(n, m)],
    "ij->": lambda n, m, k: [(n, m)],
    "ii->i": lambda n, m, k: [(n, n)],
    "ii": lambda n, m, k: [(n, n)],
    "iij,jk": lambda n, m, k: [(n, n, m), (m, k)],
    "ij,ij->i": lambda n, m, k: [(n, m), (n, m)],
    "ba,bc,c": lambda n, m, k: [(n, m), (n, k), (k,)],
    "ijk,ik->j": lambda n, m, k: [(n, m, k), (n, k)],
}


@st.composite
def einsum_cases(draw):
    equation = draw(st.sampled_from(sorted(EQUATIONS)))
    sides = [draw(st.integers(1, 3)) for _ in range(3)]
    return Case(tuple(draw(values(s)) for s in EQUATIONS[equation](*sides)),
                {"equation": equation})


row("einsum", lambda *xs, equation: minidl.einsum(equation, *xs),
    lambda *xs, equation: np.einsum(equation, *xs), einsum_cases(),
    lambda *xs, equation: torch.einsum(equation, *xs),
    domain="matrix products, batched and broadcast over '...', outer products, transposes, "
           "sums, diagonals (a repeated letter), implicit outputs")
