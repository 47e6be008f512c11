"""``minidl/scatter_rows.py``: the sorting ``scatter_add`` gives what ``np.add.at`` gives, for
every index it takes itself (one integer index array, repeats and negative indices included)
and for those it hands to ``np.add.at`` (several index arrays, out of range, other dtypes).

Read next: ``tests/test_indexing.py``.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import backend
from minidl.scatter_rows import scatter_add


@given(rows=st.integers(1, 6), trailing=st.sampled_from([(), (3,), (2, 2)]),
       index_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
       dtype=st.sampled_from([np.float32, np.float64, np.int64]), data=st.data())
def test_equals_numpy_add_at(rows, trailing, index_shape, dtype, data):
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-rows, rows - 1)),
                      label="index")
    values = data.draw(hnp.arrays(dtype, index_shape + trailing,
                                  elements=st.integers(-9, 9).map(dtype)), label="values")
    start = data.draw(hnp.arrays(dtype, (rows,) + trailing, elements=st.integers(-9, 9)
                                 .map(dtype)), label="target")
    expected, got = start.copy(), start.copy()
    np.add.at(expected, index, values)
    scatter_add(got, index, values)
    np.testing.assert_array_equal(got, expected)


def test_float32_sums_are_as_accurate_as_numpy_add_at():
    """reduceat adds a run of values in its own order (vectorized), not one by one as
    np.add.at: the float32 rounding may differ, the accuracy may not be worse."""
    rng = np.random.default_rng(0)
    index = rng.integers(0, 7, 5000)
    magnitudes = 10.0 ** rng.integers(-4, 4, (5000, 1))
    values = (rng.standard_normal((5000, 4)) * magnitudes).astype(np.float32)
    exact, one_by_one = np.zeros((7, 4)), np.zeros((7, 4), np.float32)
    np.add.at(exact, index, values.astype(np.float64))
    np.add.at(one_by_one, index, values)
    got = np.zeros((7, 4), np.float32)
    scatter_add(got, index, values)
    scale = np.zeros((7, 4))
    np.add.at(scale, index, np.abs(values.astype(np.float64)))
    assert (np.abs(got - exact) <= 1e-6 * scale).all()
    assert np.abs(got - exact).max() <= 2 * np.abs(one_by_one - exact).max()


def test_other_indices_go_to_numpy():
    target = np.zeros((3, 3))
    scatter_add(target, (np.array([0, 0, 2]), np.array([1, 1, 0])), np.ones(3))  # two arrays
    assert target[0, 1] == 2 and target[2, 0] == 1 and target.sum() == 3
    scatter_add(target, np.array([1, 1]), 1.0)  # a broadcast number
    assert (target[1] == 2).all()
    with pytest.raises(IndexError):
        scatter_add(np.zeros((3, 2)), np.array([0, 3]), np.ones((2, 2)))
    with pytest.raises(IndexError):
        scatter_add(np.zeros((3, 2)), np.array([-4, 0]), np.ones((2, 2)))


def test_it_is_the_cpu_backend_s_scatter_add():
    assert backend.backend_of(np.zeros(1)).scatter_add is scatter_add
