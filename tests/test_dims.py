"""The shape checks of ``minidl/ops/dims.py``: broadcast_shape is NumPy's broadcasting rule."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.errors import ShapeError
from minidl.ops.dims import broadcast_shape, check_broadcast

# sizes 0..3 give equal pairs, pairs with a 1, pairs with a 0 and pairs that do not broadcast
small_shapes = st.lists(st.integers(0, 3), max_size=4).map(tuple)


def _numpy(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


@given(small_shapes, small_shapes)
def test_broadcast_shape_agrees_with_numpy(a, b):
    assert broadcast_shape(a, b) == _numpy(a, b)


def test_check_broadcast_names_the_op_and_both_shapes():
    assert check_broadcast("pow", (2, 1), (3,)) == (2, 3)
    with pytest.raises(ShapeError, match=r"pow: shapes \(2, 3\) and \(4,\) do not broadcast"):
        check_broadcast("pow", (2, 3), (4,))


def test_check_broadcast_onto_requires_the_target_shape_itself():
    assert check_broadcast("sum_to", (3,), (2, 3), onto="input") == (2, 3)
    with pytest.raises(ShapeError, match=r"sum_to: shape \(2, 3\) does not broadcast to the "
                                         r"input shape \(3,\)"):
        check_broadcast("sum_to", (2, 3), (3,), onto="input")  # broadcasts, but to (2, 3)
