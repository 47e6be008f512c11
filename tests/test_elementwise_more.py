"""Issue 17's elementwise ops off the op table: values at the edges (inf, NaN, -0.0, round's
ties) against PyTorch, integer and bool inputs, errors, and what has no gradient to check
(isclose, where with numbers, view(dtype), integer linspace/arange). The gradients are checked
by the op-table rows in ``tests/op_rows_elementwise.py``.

Read next: ``tests/test_engine.py``.
"""
import math

import numpy as np
import pytest

import minidl
from minidl.errors import ConfigError, DTypeError, ShapeError

EDGES = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 0.999, -0.999, 3.7, -3.7, 1e-300,
         1e300, -1e300, math.inf, -math.inf, math.nan, 25.0, -25.0]
UNARY = ["floor", "ceil", "round", "trunc", "frac", "tan", "asin", "acos", "atan", "sinh",
         "cosh", "asinh", "acosh", "atanh", "erfc", "erfinv", "log2", "log10", "exp2", "square",
         "reciprocal"]


def _same(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    """Equal within rtol, NaN where NaN, infinities and the sign of zero alike."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(actual[~finite & ~np.isnan(expected)],
                                  expected[~finite & ~np.isnan(expected)])
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=rtol, atol=0)
    zero = expected == 0
    np.testing.assert_array_equal(np.signbit(actual[zero]), np.signbit(expected[zero]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_at_the_edges_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    with np.errstate(over="ignore"):  # (1e300 is inf in float32: an edge too)
        data = np.array(EDGES, dtype=dtype)
    with np.errstate(all="ignore"):
        actual = getattr(minidl, name)(minidl.tensor(data)).numpy()
    expected = getattr(torch, name)(torch.tensor(data)).numpy()
    assert actual.dtype == expected.dtype
    _same(actual, expected, rtol=1e-14 if dtype == "float64" else 2e-6)


def test_round_halves_to_even_and_to_decimals_as_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 0.35, 1234.5678, -0.05, 15.0, 25.0])
    for decimals in [-2, -1, 0, 1, 2, 3]:
        actual = minidl.round(minidl.tensor(data), decimals=decimals).numpy()
        expected = torch.round(torch.tensor(data), decimals=decimals).numpy()
        _same(actual, expected, rtol=0)
    assert minidl.tensor([0.5, 1.5, 2.5]).round().tolist() == [0.0, 2.0, 2.0]


def test_erfc_and_erfinv_are_accurate_over_their_whole_range():
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-6, 27, 4001), [1.5 - 1e-12, 1.5, -1.5]])
    _same(minidl.erfc(minidl.tensor(x)).numpy(), torch.erfc(torch.tensor(x)).numpy(),
          rtol=5e-15)
    tails = 1 - np.logspace(-16, -1, 200)
    y = np.concatenate([np.linspace(-1, 1, 4001), tails, -tails, [1e-300, -5e-324]])
    _same(minidl.erfinv(minidl.tensor(y)).numpy(), torch.erfinv(torch.tensor(y)).numpy(),
          rtol=5e-15)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_keeps_integers_and_refuses_bools(name):
    x = minidl.tensor([1, -2, 3], dtype=minidl.int32)
    y = getattr(minidl, name)(x)
    assert y.dtype == minidl.int32 and y.tolist() == [1, -2, 3]
    assert y._array is not x._array
    with pytest.raises(DTypeError, match=name):
        getattr(minidl, name)(minidl.tensor([True]))


def test_rounding_errors_name_the_op():
    with pytest.raises(DTypeError, match="round: decimals must be an int"):
        minidl.round(minidl.tensor([1.0]), decimals=1.5)
    with pytest.raises(DTypeError, match="round: decimals=1 needs a floating-point"):
        minidl.tensor([1, 2]).round(decimals=1)
    with pytest.raises(DTypeError, match="frac"):
        minidl.frac(minidl.tensor([1, 2]))
    with pytest.raises(ZeroDivisionError, match="fmod"):
        minidl.fmod(minidl.tensor([1, 2]), 0)
    with pytest.raises(DTypeError, match="fmod"):
        minidl.fmod(minidl.tensor([True]), minidl.tensor([True]))


def test_rounding_has_zero_gradient_and_frac_one():
    x = minidl.tensor([0.3, -1.7, 2.5], requires_grad=True)
    for name in ["floor", "ceil", "round", "trunc"]:
        grad, = minidl.autograd.grad(getattr(x, name)().sum(), [x])
        assert grad.tolist() == [0.0, 0.0, 0.0]
    grad, = minidl.autograd.grad(x.frac().sum(), [x])
    assert grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("op", ["fmod", "remainder", "floor_divide", "trunc", "floor"])
def test_division_family_matches_pytorch(op):
    """fmod (the sign of the dividend), and the existing %, //, div(rounding_mode=): floats,
    integers, infinities and -0.0."""
    torch = pytest.importorskip("torch")
    a = np.array([7.0, -7.0, 7.5, -7.5, 0.0, -0.0, 5.0, math.inf, 3.0])
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0, -3.0, math.inf, 2.0, 0.0])
    ia, ib = np.array([7, -7, 7, -7, 0, 6]), np.array([2, 2, -2, -2, 3, -4])
    if op == "remainder":  # (x % inf and -0.0 % y differ from PyTorch's: division.py's
        a, b = a[[0, 1, 2, 3, 4, 7, 8]], b[[0, 1, 2, 3, 4, 7, 8]]  # composed formula)
    for x, y in [(a, b), (ia, ib)]:
        with np.errstate(all="ignore"):
            if op in ("trunc", "floor"):
                actual = minidl.tensor(x).div(minidl.tensor(y), rounding_mode=op).numpy()
                expected = torch.tensor(x).div(torch.tensor(y), rounding_mode=op).numpy()
            else:
                actual = getattr(minidl, op)(minidl.tensor(x), minidl.tensor(y)).numpy()
                expected = getattr(torch, op)(torch.tensor(x), torch.tensor(y)).numpy()
        assert actual.dtype == expected.dtype
        _same(actual, expected, rtol=0)
    assert (minidl.tensor([7, -7]) % 3).tolist() == [1, 2]
    assert (minidl.tensor([7, -7]) // 3).tolist() == [2, -3]
    assert minidl.fmod(minidl.tensor([7, -7]), 3).tolist() == [1, -1]


def test_integer_and_bool_inputs_take_pytorchs_dtypes():
    ints, bools = minidl.tensor([1, 2, 3]), minidl.tensor([True, False])
    for name in ["tan", "asin", "sinh", "erfc", "erfinv", "log2", "exp2", "reciprocal"]:
        with np.errstate(all="ignore"):  # (asin(2), log2(0), 1 / 0: NaN and inf)
            assert getattr(minidl, name)(ints).dtype == minidl.float32, name
            assert getattr(minidl, name)(bools).dtype == minidl.float32, name
    assert minidl.atan2(ints, ints).dtype == minidl.float32
    assert minidl.copysign(ints, -1).tolist() == [-1.0, -2.0, -3.0]
    assert minidl.square(ints).dtype == minidl.int64 and ints.square().tolist() == [1, 4, 9]
    assert minidl.square(bools).dtype == minidl.int64
    minidl.set_default_dtype(minidl.float64)
    try:
        assert minidl.tan(ints).dtype == minidl.float64
    finally:
        minidl.set_default_dtype(minidl.float32)
    for name in ["logaddexp", "hypot"]:
        with pytest.raises(DTypeError, match=name):
            getattr(minidl, name)(ints, ints)


def test_two_operand_values_at_the_edges_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, -2.0, 0.0, -0.0, math.inf, -math.inf, math.nan, 1e300, 3.0])
    b = np.array([-0.0, 0.0, -1.0, 2.0, math.inf, 1.0, 1.0, 1e300, math.nan])
    for name in ["atan2", "logaddexp", "copysign", "hypot"]:
        with np.errstate(all="ignore"):
            actual = getattr(minidl, name)(minidl.tensor(a), minidl.tensor(b)).numpy()
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        _same(actual, expected, rtol=1e-15)


def test_copysign_gradient_is_zero_at_zero_and_for_the_sign():
    a = minidl.tensor([0.0, 2.0, -3.0], requires_grad=True)
    b = minidl.tensor([-1.0, -1.0, 1.0], requires_grad=True)
    ga, gb = minidl.autograd.grad(minidl.copysign(a, b).sum(), [a, b])
    assert ga.tolist() == [0.0, -1.0, -1.0] and gb.tolist() == [0.0, 0.0, 0.0]


def test_lerp_checks_its_arguments():
    start, end = minidl.zeros(3), minidl.ones(3)
    assert minidl.lerp(start, end, 0.25).tolist() == [0.25] * 3
    assert start.lerp(end, minidl.tensor([0.0, 0.5, 1.0])).tolist() == [0.0, 0.5, 1.0]
    assert minidl.lerp(start, end, minidl.tensor(0.5, dtype=minidl.float64)).dtype == \
        minidl.float32
    with pytest.raises(ShapeError, match="lerp"):
        minidl.lerp(start, minidl.ones(2), 0.5)
    with pytest.raises(ShapeError, match="lerp"):
        minidl.lerp(start, end, minidl.ones(2))
    with pytest.raises(DTypeError, match="lerp"):
        minidl.lerp(start, end.double(), 0.5)
    with pytest.raises(DTypeError, match="lerp"):
        minidl.lerp(minidl.tensor([1, 2]), minidl.tensor([1, 2]), 0.5)
    with pytest.raises(DTypeError, match="lerp"):
        minidl.lerp(start, end, "half")


def test_isclose_and_allclose_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, math.inf, -math.inf, math.nan, 1.0, 0.0, 1e-9, 100.0])
    b = np.array([1.0 + 1e-6, math.inf, math.inf, math.nan, 1.1, 1e-9, 0.0, 100.001])
    for kwargs in [{}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 0.0, "rtol": 0.0},
                   {"rtol": 1e-4, "atol": 1e-3}]:
        actual = minidl.isclose(minidl.tensor(a), minidl.tensor(b), **kwargs).numpy()
        expected = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs).numpy()
        np.testing.assert_array_equal(actual, expected, err_msg=str(kwargs))
        assert minidl.tensor(a).allclose(minidl.tensor(b), **kwargs) is bool(
            torch.allclose(torch.tensor(a), torch.tensor(b), **kwargs))
    ints = minidl.tensor([1, 2, 3])
    assert minidl.isclose(ints, minidl.tensor([1, 2, 4])).tolist() == [True, True, False]
    assert minidl.isclose(minidl.tensor([True]), minidl.tensor([True])).tolist() == [True]
    assert minidl.allclose(minidl.tensor([1.0, 1.0]), minidl.tensor([1.0]))  # (broadcast)


def test_isclose_errors_name_the_op():
    x = minidl.tensor([1.0, 2.0])
    with pytest.raises(DTypeError, match="isclose"):
        minidl.isclose(x, x.double())
    with pytest.raises(ConfigError, match="isclose: rtol"):
        minidl.isclose(x, x, rtol=-1)
    with pytest.raises(ShapeError, match="isclose"):
        minidl.isclose(x, minidl.ones(3))


def test_where_takes_numbers_as_pytorch_types_them():
    cond = minidl.tensor([True, False])
    assert minidl.where(cond, 1.0, 0.0).dtype == minidl.float32
    assert minidl.where(cond, 1, 0).dtype == minidl.int64
    assert minidl.where(cond, 1, 0.5).tolist() == [1.0, 0.5]
    assert minidl.where(cond, True, False).dtype == minidl.bool
    assert minidl.where(cond, minidl.tensor([1, 2]), 0.5).tolist() == [1.0, 0.5]
    x = minidl.tensor([1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    y = minidl.where(cond, x, 7)
    assert y.dtype == minidl.float64 and y.tolist() == [1.0, 7.0]
    grad, = minidl.autograd.grad(y.sum(), [x])
    assert grad.tolist() == [1.0, 0.0]
    with pytest.raises(DTypeError, match="where"):
        minidl.where(cond, "a", 0)


def test_clamp_with_tensor_bounds_gives_pytorchs_gradients_at_ties():
    torch = pytest.importorskip("torch")
    """x at a bound gets the gradient; min > max gives max (and max the gradient). (Where
    min == max exactly and x is outside, PyTorch gives no input the gradient, minidl the
    bound the result equals: both are choices at a kink.)"""
    x = np.array([0.0, 1.0, 2.0, 3.0, 1.5, -1.0, 0.45])
    lo = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5])
    hi = np.array([2.0, 2.0, 2.0, 2.0, 1.0, 0.4, 0.4])
    ours = [minidl.tensor(v, requires_grad=True) for v in (x, lo, hi)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, lo, hi)]
    y, expected = minidl.clamp(*ours), torch.clamp(*theirs)
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    grads = minidl.autograd.grad(y.sum(), ours)
    expected_grads = torch.autograd.grad(expected.sum(), theirs)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_array_equal(g.numpy(), e.numpy())
    mixed = minidl.clamp(minidl.tensor([1, 5, 9]), minidl.tensor(2.0), 6)
    assert mixed.dtype == minidl.float32 and mixed.tolist() == [2.0, 5.0, 6.0]


def test_view_dtype_reads_the_same_bytes():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, -2.0, 0.5, 3.25]], dtype=np.float32)
    x = minidl.tensor(data, requires_grad=True)
    for dtype, torch_dtype in [(minidl.int32, torch.int32), (minidl.float64, torch.float64),
                               (minidl.int16, torch.int16), (minidl.uint8, torch.uint8),
                               (minidl.float16, torch.float16)]:
        y = x.view(dtype)
        expected = torch.tensor(data).view(torch_dtype)
        assert y.dtype == dtype and y.shape == tuple(expected.shape)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
        assert not y.requires_grad and y.grad_fn is None
    assert x.view(2, 2).shape == (2, 2) and x.view(-1).shape == (4,)


def test_view_dtype_shares_memory_and_version():
    x = minidl.tensor([1.0, 2.0])
    bits = x.view(minidl.int32)
    version = x._version
    bits[0] = 0
    assert x.tolist() == [0.0, 2.0] and x._version > version


def test_view_dtype_refuses_what_pytorch_refuses():
    with pytest.raises(ShapeError, match="divisible by 2"):
        minidl.zeros(3).view(minidl.float64)
    with pytest.raises(ShapeError, match="0-d"):
        minidl.tensor(1.0).view(minidl.int16)
    with pytest.raises(ShapeError, match="contiguous"):
        minidl.zeros(4, 4)[:, ::2].view(minidl.int16)
    assert minidl.tensor(1.0).view(minidl.int32).item() == 1065353216
    assert minidl.zeros(2, 4).t().view(minidl.int32).shape == (4, 2)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8"])
def test_linspace_and_arange_with_integer_dtypes_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    torch_dtype = getattr(torch, dtype)
    for args in [(0, 10, 4), (-3.7, 3.7, 5), (0, 1, 5), (10, 0, 4), (-1, 1, 1), (0, 100, 0),
                 (0.5, 9.5, 4), (-5, 5, 7), (0, 7, 4), (3, -8, 6)]:
        if dtype == "uint8" and min(args[:2]) < 0:
            continue
        ours = minidl.linspace(*args, dtype=getattr(minidl, dtype))
        expected = torch.linspace(*args, dtype=torch_dtype)
        assert ours.dtype == getattr(minidl, dtype)
        assert ours.tolist() == expected.tolist(), args
    for args in [(0, 10, 3), (0.5, 5, 1.3), (0, 5, 1.5), (5, 0, -1.5), (-5.5, -1.2, 1.9),
                 (7.9,), (2, 9.5)]:
        if dtype == "uint8" and (min(args) < 0 or args[-1] < 0):
            continue
        ours = minidl.arange(*args, dtype=getattr(minidl, dtype))
        expected = torch.arange(*args, dtype=torch_dtype)
        assert ours.dtype == getattr(minidl, dtype)
        assert ours.tolist() == expected.tolist(), args
    with pytest.raises(ValueError, match="arange"):
        minidl.arange(0, 2.5, 0.5, dtype=getattr(minidl, dtype))


def test_pytorch_names_are_there_as_functions_and_methods():
    x = minidl.tensor([1.25, 0.5])
    for name, method in [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                         ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"),
                         ("fix", "trunc")]:
        assert getattr(minidl, name) is getattr(minidl, method)
        with np.errstate(invalid="ignore"):  # (asin(1.25), acosh(0.5): NaN, as equal)
            np.testing.assert_array_equal(getattr(x, name)().numpy(),
                                          getattr(x, method)().numpy())
    assert minidl.arctan2(x, x).tolist() == x.atan2(x).tolist()
    assert x.fmod(0.3).shape == (2,) and x.logaddexp(x).shape == (2,)
    assert x.copysign(-1.0).tolist() == [-1.25, -0.5] and x.hypot(x).shape == (2,)


def test_the_div_function_takes_rounding_mode_as_the_method_does():
    a = minidl.tensor([-7.0, 7.0, -6.5])
    np.testing.assert_array_equal(minidl.div(a, 2, rounding_mode="trunc").numpy(), [-3, 3, -3])
    np.testing.assert_array_equal(minidl.div(a, 2, rounding_mode="floor").numpy(), [-4, 3, -4])
    ints = minidl.div(minidl.tensor([-7, 7]), 2, rounding_mode="floor")
    assert ints.dtype == minidl.int64 and ints.tolist() == [-4, 3]
    with pytest.raises(minidl.ConfigError, match="rounding_mode"):
        minidl.div(a, 2, rounding_mode="round")
