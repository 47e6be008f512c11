"""Indexing places dimensions as PyTorch does: with a key mixing ints and index arrays,
PyTorch applies the ints first, where NumPy would move the indexed dimensions to the front
(``minidl/ops/indexing.py``). Regressions without PyTorch; a Hypothesis comparison of values,
shapes, gradients and errors with PyTorch when it is installed.

Read next: ``tests/test_torch_parity.py``.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.errors import MinidlError
from minidl.testing import gradcheck, gradgradcheck


def test_an_int_and_an_index_tensor_separated_by_a_slice():
    assert minidl.zeros(2, 3, 4)[1, :, minidl.tensor([0, 1])].shape == (3, 2)
    x = minidl.arange(120.0).reshape(2, 3, 4, 5)
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    cases = [((1, slice(None), [0, 2]), a[1][:, [0, 2]]),
             ((minidl.tensor(1), slice(None), [0, 2]), a[1][:, [0, 2]]),
             ((Ellipsis, 2, slice(None), [0, 0, 1]), a[..., 2, :, :][..., :, [0, 0, 1]]),
             ((None, 0, slice(None), [1, 2]), a[None, 0][:, :, [1, 2]]),
             (([0, 1], 1, slice(None), [0, 3]), a[:, 1][[0, 1], :, [0, 3]])]
    for key, expected in cases:
        np.testing.assert_array_equal(x[key].numpy(), expected)


def test_the_gradient_of_a_mixed_key_scatters_back_to_the_right_places():
    x = minidl.tensor(np.arange(24.0).reshape(2, 3, 4), dtype=minidl.float64,
                      requires_grad=True)
    key = (1, slice(None), minidl.tensor([0, 3, 3]))
    gradcheck(lambda t: t[key], [x])
    gradgradcheck(lambda t: t[key], [x])
    x[key].sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[1, :, 0], expected[1, :, 3] = 1, 2
    np.testing.assert_array_equal(x.grad.numpy(), expected)


# ----------------------------------------------------------------------------- vs PyTorch
@st.composite
def mixed_keys(draw):
    """A shape and a key of ints (Python or 0-d tensor), slices (steps > 0: PyTorch has no
    negative steps), None, Ellipsis, integer index lists/tensors (sharing one index shape,
    so that they broadcast) and 1-d bool masks, described as (kind, value) pairs; always at
    least one int and one index list, tensor or mask, in any order."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
    index_shape = draw(st.sampled_from([(1,), (2,), (3,), (2, 2), (1, 3)]))
    count = draw(st.integers(2, len(shape)))
    kinds = draw(st.lists(st.sampled_from(["int", "int0d", "slice", "list", "tensor", "mask"]),
                          min_size=count - 2, max_size=count - 2))
    kinds = draw(st.permutations(kinds + [draw(st.sampled_from(["int", "int0d"])),
                                          draw(st.sampled_from(["list", "tensor", "mask"]))]))
    parts = []
    for n, kind in zip(shape, kinds):
        if kind in ("int", "int0d"):
            value = draw(st.integers(-n, n - 1))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            value = slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2])))
        elif kind == "mask":
            value = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        else:
            size = math.prod(index_shape)
            value = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=size,
                                           max_size=size))).reshape(index_shape).tolist()
        parts.append((kind, value))
    for _ in range(draw(st.integers(0, 1))):
        parts.insert(draw(st.integers(0, len(parts))), ("none", None))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), ("ellipsis", Ellipsis))
    return shape, parts


def build_key(lib, parts):
    build = {"int": lambda v: v, "int0d": lambda v: lib.tensor(v), "slice": lambda v: v,
             "list": lambda v: v, "tensor": lambda v: lib.tensor(v),
             "mask": lambda v: lib.tensor(v), "none": lambda v: None,
             "ellipsis": lambda v: Ellipsis}
    return tuple(build[kind](value) for kind, value in parts)


@settings(deadline=None)
@given(case=mixed_keys(), seed=st.integers(0, 2**16))
def test_indexing_matches_pytorch(case, seed):
    torch = pytest.importorskip("torch")
    shape, parts = case
    data = np.random.default_rng(seed).standard_normal(shape)
    t = torch.tensor(data, requires_grad=True)
    x = minidl.tensor(data, requires_grad=True)
    try:
        expected = t[build_key(torch, parts)]
    except IndexError:  # e.g. index arrays and masks that do not broadcast together
        with pytest.raises(MinidlError) as info:
            x[build_key(minidl, parts)]
        assert isinstance(info.value, IndexError)
        return
    out = x[build_key(minidl, parts)]
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    weights = np.random.default_rng(seed + 1).standard_normal(out.shape)
    (expected * torch.tensor(weights)).sum().backward()
    (out * minidl.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
