"""Tensors print as PyTorch prints them (``minidl/printing.py``): the same text, character for
character, with ``minidl.`` where PyTorch writes ``torch.``.

The first tests state the rules on fixed examples (they run without PyTorch); the others print
the same values with PyTorch, when it is installed, and compare.
"""
import math
import re

import numpy as np
import pytest
from fake_device import fake
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import printing


@pytest.mark.parametrize("make, text", [
    (lambda: minidl.tensor([0.637, 1.0]), "tensor([0.6370, 1.0000])"),
    (lambda: minidl.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: minidl.tensor([1e-5, 1e3]), "tensor([1.0000e-05, 1.0000e+03])"),
    (lambda: minidl.tensor([1.0, math.nan, -math.inf]), "tensor([1., nan, -inf])"),
    (lambda: minidl.tensor(3.0), "tensor(3.)"),
    (lambda: minidl.tensor(7), "tensor(7)"),
    (lambda: minidl.tensor([True, False]), "tensor([ True, False])"),
    (lambda: minidl.tensor([], dtype=minidl.int64), "tensor([], dtype=minidl.int64)"),
    (lambda: minidl.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: minidl.tensor([[1, 2], [3, 40]], dtype=minidl.int32),
     "tensor([[ 1,  2],\n        [ 3, 40]], dtype=minidl.int32)"),
    (lambda: minidl.tensor([1.0], requires_grad=True) * 2, "tensor([2.], grad_fn=<MulBackward0>)"),
])
def test_the_rules_on_examples(make, text):
    assert repr(make()) == text


def test_a_large_tensor_is_summarized():
    text = repr(minidl.arange(2000))
    assert text == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


def test_a_tensor_off_the_cpu_names_its_device(fake):
    t = minidl.tensor([1.0, 2.0], device="fake:0")
    assert repr(t) == "tensor([1., 2.], device='fake:0')"


def test_set_printoptions_changes_precision_and_can_be_restored():
    try:
        minidl.set_printoptions(precision=2)
        assert repr(minidl.tensor([0.12345])) == "tensor([0.12])"
        minidl.set_printoptions(sci_mode=True)
        assert repr(minidl.tensor([0.5])) == "tensor([5.00e-01])"
    finally:
        minidl.set_printoptions(precision=4, sci_mode=None)
    assert repr(minidl.tensor([0.12345])) == "tensor([0.1235])"


def test_shapes_print_as_sizes():
    assert repr(minidl.zeros(64, 1, 28, 28).shape) == "minidl.Size([64, 1, 28, 28])"
    assert str(minidl.zeros(2, 3).size()) == "minidl.Size([2, 3])"


# ------------------------------------------------------------------ against PyTorch itself
torch = pytest.importorskip("torch")


def _joined(text: str) -> str:
    """The text with a dtype suffix kept on its line: "minidl." is one character longer than
    "torch.", so the two may wrap it differently (by the same rule)."""
    return re.sub(r",\n +(?=dtype=)", ", ", text)


def torch_repr(array: np.ndarray, requires_grad=False, times_two=False) -> str:
    t = torch.tensor(array, requires_grad=requires_grad)
    return _joined(repr(t * 2 if times_two else t).replace("torch.", "minidl."))


def minidl_repr(array: np.ndarray, requires_grad=False, times_two=False) -> str:
    t = minidl.tensor(array, requires_grad=requires_grad)
    return _joined(repr(t * 2 if times_two else t))


CASES = {
    "fixed": np.array([0.637, 1.0], np.float32),
    "whole": np.array([1.0, -2.0, 300.0], np.float32),
    "scientific, ratio": np.array([1e-3, 5.0], np.float32),
    "scientific, small": np.array([1.5e-5, 2.5e-5], np.float32),
    "scientific, whole and large": np.array([1e9, 3.0], np.float32),
    "zeros": np.zeros(3, np.float32),
    "negative zero": np.array([-0.0, 1.5], np.float32),
    "non-finite": np.array([np.nan, np.inf, -np.inf, 2.0], np.float32),
    "only NaN": np.array([np.nan], np.float32),
    "0-d": np.array(2.5, np.float32),
    "0-d whole": np.array(-3.0, np.float32),
    "float64": np.array([1.0 / 3, 2.0]),
    "float16": np.array([0.1, 2.0], np.float16),
    "int64": np.array([1, -20, 300]),
    "int32": np.array([5, 6], np.int32),
    "uint8": np.array([0, 255], np.uint8),
    "int8": np.array([-5, 6], np.int8),
    "bool": np.array([[True, False], [False, True]]),
    "2-d": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "3-d": np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5,
    "4-d": np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2),
    "wrapped vector": np.linspace(-1, 1, 37, dtype=np.float32),
    "wrapped ints": np.arange(0, 10 ** 6, 25_000),
    "summarized vector": np.linspace(0, 1, 1500, dtype=np.float32),
    "summarized matrix": np.arange(4000, dtype=np.float32).reshape(50, 80) / 3,
    "summarized 3-d": np.arange(2 * 30 * 40, dtype=np.float64).reshape(2, 30, 40),
    "empty": np.zeros(0, np.float32),
    "empty 2-d int": np.zeros((2, 0), np.int64),
    "empty bool": np.zeros(0, bool),
    "empty float64": np.zeros(0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_text_as_pytorch(name):
    assert minidl_repr(CASES[name]) == torch_repr(CASES[name])


@pytest.mark.parametrize("name", ["fixed", "0-d", "float64", "2-d", "summarized matrix"])
def test_grad_suffixes_as_pytorch(name):
    array = CASES[name]
    assert minidl_repr(array, requires_grad=True) == torch_repr(array, requires_grad=True)
    assert minidl_repr(array, True, True) == torch_repr(array, True, True)


def test_long_suffixes_wrap_as_pytorch():
    array = np.full((2, 9), 1 / 3, np.float32)  # rows of 9: the grad_fn moves to a new line
    assert minidl_repr(array, True, True) == torch_repr(array, True, True)


@st.composite
def float_arrays(draw):
    """Values of every magnitude, whole or not, with the odd zero, NaN or infinity."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5))
    scale = draw(st.sampled_from([1e-6, 1e-3, 1.0, 1e3, 1e9]))
    values = draw(hnp.arrays(dtype, shape, elements=st.floats(-1000, 1000, width=32)))
    if draw(st.booleans()):
        values = np.round(values)
    values = (values * scale).astype(dtype)
    if values.size > 1 and draw(st.booleans()):
        values.reshape(-1)[0] = draw(st.sampled_from([0.0, np.nan, np.inf, -np.inf]))
    return values


@settings(max_examples=200, deadline=None)
@given(float_arrays())
def test_random_floats_print_as_in_pytorch(array):
    assert minidl_repr(array) == torch_repr(array)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8]),
                  hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)))
def test_random_integers_print_as_in_pytorch(array):
    assert minidl_repr(array) == torch_repr(array)


def test_print_options_as_pytorch():
    array = np.array([0.123456, 12.5], np.float32)
    try:
        for options in ({"precision": 2}, {"sci_mode": True}, {"linewidth": 30},
                        {"threshold": 5, "edgeitems": 1}):
            minidl.set_printoptions(**options)
            torch.set_printoptions(**options)
            for a in (array, CASES["wrapped vector"], CASES["2-d"]):
                assert minidl_repr(a) == torch_repr(a), options
    finally:
        minidl.set_printoptions(precision=4, threshold=1000, edgeitems=3, linewidth=80,
                                sci_mode=None)
        torch.set_printoptions(profile="default")
    assert printing._Options.precision == 4
