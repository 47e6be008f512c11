"""``target[index] += values`` where repeated indices each add their value, on NumPy arrays,
by sorting: the CPU's ``scatter_add`` of ``minidl/backend.py``.

An embedding's backward adds the gradient of every looked-up position into the row it came
from: at a character model's sizes, 2,048 positions into 65 rows of 128. ``np.add.at`` does it
one index at a time (unbuffered, so that repeats accumulate) and is the slowest step of the
layer. Sorting the indices first gathers the repeats of each row together; then one
``np.add.reduceat`` sums each run of equal indices and one fancy ``+=`` adds the sums, now with
no index repeated:

    order = stable argsort of the indices,   runs = where the sorted indices change,
    target[unique indices] += reduceat(values[order], runs)

The result is deterministic; its float rounding can differ from ``np.add.at``'s in the last
bits, since ``reduceat`` adds a run with vectorized partial sums where ``np.add.at`` adds one
value after another (the tests check that it is no less accurate). Any other index (several
index arrays, slices, a broadcast value, an index out of range, which ``np.add.at`` reports)
goes to ``np.add.at``.

Read next: ``minidl/tensor_methods.py`` (a Tensor's methods under PyTorch's names).
"""
from __future__ import annotations

import numpy as np


def scatter_add(target: np.ndarray, index, values) -> None:
    """``target[index] += values`` in place, repeated indices accumulating (``np.add.at``)."""
    if isinstance(index, tuple) and len(index) == 1:
        index = index[0]
    if not (isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.size > 1
            and isinstance(values, np.ndarray) and values.dtype == target.dtype
            and values.shape == index.shape + target.shape[1:]):
        np.add.at(target, index, values)
        return
    flat = index.ravel()
    rows = target.shape[0]
    low, high = flat.min(), flat.max()
    if low < -rows or high >= rows:
        np.add.at(target, index, values)  # raises NumPy's IndexError, made minidl's upstream
        return
    if low < 0:
        flat = np.where(flat < 0, flat + rows, flat)
    order = np.argsort(flat, kind="stable")
    sorted_index = flat[order]
    runs = np.flatnonzero(np.concatenate(([True], sorted_index[1:] != sorted_index[:-1])))
    sums = np.add.reduceat(values.reshape((flat.size,) + target.shape[1:])[order], runs, axis=0)
    target[sorted_index[runs]] += sums
