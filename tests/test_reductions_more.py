"""Issue 17's reductions, scans and sorting beyond the op table: indices, ties, NaN, dtypes,
gradients at zeros, stability, errors, and PyTorch's values where it is installed.

The op table (``tests/op_rows_reductions.py``) checks the differentiable values on inputs
without ties; this file checks what it cannot: integer results, tied and NaN elements, exact
zeros, extreme ranges and bad arguments.

Read next: ``tests/op_table.py``.
"""
import math

import numpy as np
import pytest

import minidl
from minidl.errors import ConfigError, DimError, DTypeError, OutOfRangeError, ShapeError

NAN = float("nan")


def _grad(fn, values, dtype=minidl.float64):
    x = minidl.tensor(values, dtype=dtype, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


def _torch_grad(torch, fn, values):
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


# ------------------------------------------------------------------ prod and cumprod at zeros
@pytest.mark.parametrize("values, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),      # one zero: it gets the product of the others
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),      # two zeros: every product of others holds one
])
def test_prod_gradient_at_zeros(values, expected):
    np.testing.assert_array_equal(_grad(lambda x: x.prod(), values), expected)
    np.testing.assert_array_equal(_grad(lambda x: x.prod(0, keepdim=True), values), expected)


@pytest.mark.parametrize("values", [[[2.0, 0.0, 4.0], [0.0, 3.0, 0.0]], [[0.0, 0.0, 1.5]],
                                    [[1.5, -2.0, 0.0, 3.0, 0.0, 0.5]]])
def test_prod_and_cumprod_first_and_second_derivatives_at_zeros_match_pytorch(values):
    torch = pytest.importorskip("torch")
    for name in ["prod", "cumprod"]:
        x = minidl.tensor(values, dtype=minidl.float64, requires_grad=True)
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        w = np.arange(1.0, x.numel() + 1).reshape(tuple(x.shape)) if name == "cumprod" \
            else np.arange(1.0, x.shape[0] + 1)
        y, ty = getattr(x, name)(-1) * minidl.tensor(w), getattr(t, name)(-1) * torch.tensor(w)
        g, = minidl.grad(y.sum(), [x], create_graph=True)
        tg, = torch.autograd.grad(ty.sum(), [t], create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), err_msg=name)
        h, = minidl.grad((g * g).sum(), [x])
        th, = torch.autograd.grad((tg * tg).sum(), [t])
        np.testing.assert_allclose(h.numpy(), th.numpy(), err_msg=name)


def test_prod_and_scans_of_integers_are_int64_and_dtype_converts_first():
    x = minidl.tensor([1, 2, 3, 4], dtype=minidl.int32)
    assert x.prod().dtype == minidl.int64 and x.prod().item() == 24
    assert x.cumsum(0).dtype == minidl.int64 and x.cumsum(0).tolist() == [1, 3, 6, 10]
    assert x.cumprod(0).tolist() == [1, 2, 6, 24]
    assert minidl.tensor([True, True, False]).cumsum(0).tolist() == [1, 2, 2]
    assert x.prod(dtype=minidl.float64).dtype == minidl.float64
    assert x.sum(dtype=minidl.float64).dtype == minidl.float64
    assert x.mean(dtype=minidl.float64).item() == 2.5
    assert x.cumsum(0, dtype=minidl.float32).dtype == minidl.float32


def test_float32_stays_float32():
    x = minidl.tensor([0.5, 1.5, 2.0])
    for y in [x.prod(), x.prod(0), x.cumsum(0), x.cumprod(0), x.logcumsumexp(0), x.amax(),
              x.sort().values, x.median(), minidl.linalg.vector_norm(x)]:
        assert y.dtype == minidl.float32


# ------------------------------------------------------------------ logcumsumexp
def test_logcumsumexp_is_stable_over_any_range_in_float64_and_float32():
    torch = pytest.importorskip("torch")
    for values, dtype, tdtype in [([-1000.0, 0.0, 1000.0, -5.0], minidl.float64, torch.float64),
                                  ([-200.0, 0.0, 90.0, 89.0], minidl.float32, torch.float32)]:
        x = minidl.tensor(values, dtype=dtype, requires_grad=True)
        t = torch.tensor(values, dtype=tdtype, requires_grad=True)
        y, ty = x.logcumsumexp(0), t.logcumsumexp(0)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
        w = [1.0, -2.0, 0.5, 3.0]
        (y * minidl.tensor(w, dtype=dtype)).sum().backward()
        (ty * torch.tensor(w, dtype=tdtype)).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_logcumsumexp_gives_minus_inf_a_zero_gradient():
    """exp(-inf) = 0 takes no part in any sum: its gradient is 0, even in a leading run of
    -inf (where PyTorch's formula gives NaN from -inf + inf)."""
    inf = math.inf
    g = _grad(lambda x: x.logcumsumexp(0) * minidl.tensor([1.0, 2.0, 3.0, 4.0, 5.0]),
              [-inf, -inf, 0.0, -inf, 1.0])
    expected_2 = 3 + 4 + 5 / (1 + math.e)  # x_2 = 0: its softmax weight in each later sum
    np.testing.assert_allclose(g, [0, 0, expected_2, 0, 5 * math.e / (1 + math.e)])


def test_logcumsumexp_refuses_integers():
    with pytest.raises(minidl.DTypeError, match="logcumsumexp"):
        minidl.tensor([1, 2]).logcumsumexp(0)


# ------------------------------------------------------------------ cummax, cummin
def test_cummax_cummin_ties_take_the_later_index_and_nan_stays():
    values = [1.0, 3.0, 3.0, 2.0, 3.0, NAN, 5.0, NAN]
    r = minidl.tensor(values).cummax(0)
    assert r.indices.tolist() == [0, 1, 2, 2, 4, 5, 5, 7]
    assert r.indices.dtype == minidl.int64 and r.values.tolist()[:5] == [1, 3, 3, 3, 3]
    assert np.isnan(r.values.numpy()[5:]).all()
    r = minidl.cummin(minidl.tensor([3, 1, 1, 2, 1]), 0)
    assert r.values.tolist() == [3, 1, 1, 1, 1] and r.indices.tolist() == [0, 1, 2, 2, 4]
    assert repr(r).startswith("minidl.return_types.cummin(")
    torch = pytest.importorskip("torch")
    for name in ["cummax", "cummin"]:
        ours, theirs = getattr(minidl.tensor(values), name)(0), getattr(torch.tensor(values),
                                                                       name)(0)
        assert ours.indices.tolist() == theirs.indices.tolist(), name


def test_cummax_values_send_the_gradient_to_the_running_maximum():
    np.testing.assert_array_equal(_grad(lambda x: x.cummax(0).values, [1.0, 3.0, 2.0, 4.0]),
                                  [1, 2, 0, 1])


# ------------------------------------------------------------------ amax, amin, aminmax
def test_amax_amin_split_the_gradient_among_ties_as_pytorch():
    values = [[1.0, 4.0, 4.0], [4.0, 0.0, 2.0]]
    np.testing.assert_allclose(_grad(lambda x: x.amax(), values),
                               [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])
    np.testing.assert_allclose(_grad(lambda x: x.amin((0, 1)), [[2.0, 1.0], [1.0, 3.0]]),
                               [[0, 0.5], [0.5, 0]])
    torch = pytest.importorskip("torch")
    for fn in [lambda x: x.amax(1), lambda x: x.amax((0, 1), True), lambda x: x.amin(0),
               lambda x: x.amax(-1, keepdim=True)]:
        np.testing.assert_allclose(_grad(fn, values), _torch_grad(torch, fn, values))
        assert fn(minidl.tensor(values)).tolist() == fn(torch.tensor(values)).tolist()


def test_aminmax_fields_and_nan():
    r = minidl.aminmax(minidl.tensor([[1.0, 5.0], [-2.0, 3.0]]), dim=1, keepdim=True)
    assert r.min.tolist() == [[1.0], [-2.0]] and r.max.tolist() == [[5.0], [3.0]]
    lo, hi = minidl.tensor([1.0, NAN]).aminmax()
    assert math.isnan(lo.item()) and math.isnan(hi.item())


# ------------------------------------------------------------------ sort, argsort, kthvalue
def test_sort_is_stable_both_ways_and_puts_nan_as_the_largest():
    x = minidl.tensor([2.0, NAN, 1.0, 2.0, 1.0, 3.0])
    up, down = x.sort(stable=True), x.sort(descending=True, stable=True)
    assert up.indices.tolist() == [2, 4, 0, 3, 5, 1]
    assert down.indices.tolist() == [1, 5, 0, 3, 2, 4]
    assert x.argsort(descending=True).tolist() == down.indices.tolist()
    torch = pytest.importorskip("torch")
    t = torch.tensor(x.tolist())
    assert up.indices.tolist() == t.sort(stable=True).indices.tolist()
    assert down.indices.tolist() == t.sort(descending=True, stable=True).indices.tolist()


def test_sort_integers_and_bools_descending():
    x = minidl.tensor([[3, 1, 2], [0, 5, 5]], dtype=minidl.uint8)
    assert x.sort(1, True).values.tolist() == [[3, 2, 1], [5, 5, 0]]
    assert x.sort(0).indices.tolist() == [[1, 0, 0], [0, 1, 1]]
    assert minidl.tensor([True, False, True]).argsort().tolist() == [1, 0, 2]


def test_sort_values_gradient_goes_back_through_the_indices():
    g = _grad(lambda x: x.sort(descending=True).values * minidl.tensor([1.0, 2.0, 3.0]),
              [0.5, 2.0, 1.0])
    np.testing.assert_array_equal(g, [3.0, 1.0, 2.0])


def test_kthvalue_values_indices_and_range():
    x = minidl.tensor([[4.0, 1.0, 3.0], [0.0, 9.0, 5.0]])
    r = x.kthvalue(2, 1, keepdim=True)
    assert r.values.tolist() == [[3.0], [5.0]] and r.indices.tolist() == [[2], [2]]
    assert minidl.kthvalue(x, 1, 0).indices.tolist() == [1, 0, 0]
    for k in [0, 4, -1]:
        with pytest.raises(OutOfRangeError, match="kthvalue: k="):
            x.kthvalue(k)
    with pytest.raises(DTypeError, match="kthvalue: k must be an integer"):
        x.kthvalue(1.5)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x.tolist())
    for k in (1, 2, 3):
        assert x.kthvalue(k).indices.tolist() == t.kthvalue(k).indices.tolist()


# ------------------------------------------------------------------ median, nanmedian
def test_median_is_the_lower_median_and_nan_wins():
    assert minidl.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0
    r = minidl.tensor([[1.0, NAN, 2.0, NAN, 5.0], [5.0, 1.0, 4.0, 2.0, 3.0]]).median(1)
    assert math.isnan(r.values.tolist()[0]) and r.values.tolist()[1] == 3.0
    assert r.indices.tolist() == [1, 4]
    r = minidl.tensor([[1.0, NAN, 2.0, NAN, 5.0], [NAN, NAN, NAN, NAN, NAN]]).nanmedian(1)
    assert r.values.tolist()[0] == 2.0 and r.indices.tolist()[0] == 2
    assert math.isnan(r.values.tolist()[1])
    assert minidl.tensor([NAN, 1.0, 7.0, NAN]).nanmedian().item() == 1.0
    assert minidl.tensor([3, 1, 2]).median().item() == 2


def test_median_against_pytorch_with_ties():
    torch = pytest.importorskip("torch")
    values = [[1.0, 2.0, 2.0, 0.0], [2.0, 3.0, 2.0, 1.0], [2.0, 2.0, 1.0, 1.0]]
    def median_of_all(x):  # ties share the gradient
        return x.median()

    np.testing.assert_allclose(_grad(median_of_all, values),
                               _torch_grad(torch, median_of_all, values))
    for dim in (0, 1, -1):
        x, t = minidl.tensor(values), torch.tensor(values)
        assert x.median(dim).values.tolist() == t.median(dim).values.tolist()
        assert x.nanmedian(dim, True).values.tolist() == t.nanmedian(dim, True).values.tolist()


def test_empty_slices_as_in_pytorch():
    """The median of no elements is NaN; reducing an empty dim is an IndexError."""
    assert math.isnan(minidl.zeros(0).median().item())
    for call in [lambda x: x.median(1), lambda x: x.amax(1), lambda x: x.aminmax(dim=1)]:
        with pytest.raises(DimError, match="empty"):
            call(minidl.zeros(2, 0))


# ------------------------------------------------------------------ var_mean, std_mean
def test_var_mean_std_mean_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal((3, 4))
    x, t = minidl.tensor(values), torch.tensor(values)
    for kwargs in [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0, "correction": 0},
                   {"dim": 1, "correction": 2}]:
        for ours, theirs in [(minidl.var_mean, torch.var_mean), (minidl.std_mean,
                                                                 torch.std_mean)]:
            for a, b in zip(ours(x, **kwargs), theirs(t, **kwargs)):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    v, m = minidl.var_mean(x, 1, False)  # the older unbiased=False
    np.testing.assert_allclose(v.numpy(), values.var(axis=1))


# ------------------------------------------------------------------ minidl.linalg
def test_linalg_norms_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    x, t = minidl.tensor(a), torch.tensor(a)
    cases = [("vector_norm", (), {}), ("vector_norm", (1,), {"dim": (0, 2)}),
             ("vector_norm", (math.inf,), {"dim": -1, "keepdim": True}),
             ("vector_norm", (0,), {}), ("vector_norm", (-math.inf,), {}),
             ("matrix_norm", (), {}), ("matrix_norm", (1,), {}),
             ("matrix_norm", (-1,), {"dim": (0, 2)}),
             ("matrix_norm", (math.inf,), {"keepdim": True}),
             ("matrix_norm", (-math.inf,), {"dim": (2, 1)}),
             ("norm", (), {}), ("norm", (3,), {"dim": 1}), ("norm", (1,), {"dim": (1, 2)}),
             ("norm", ("fro",), {"dim": (0, 1)})]
    for name, args, kwargs in cases:
        ours = getattr(minidl.linalg, name)(x, *args, **kwargs)
        theirs = getattr(torch.linalg, name)(t, *args, **kwargs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12,
                                   err_msg=f"{name} {args} {kwargs}")
    m = a[0]
    for ord in [None, 1, math.inf, "fro"]:
        np.testing.assert_allclose(minidl.linalg.norm(minidl.tensor(m), ord).numpy(),
                                   torch.linalg.norm(torch.tensor(m), ord).numpy())


def test_linalg_refuses_the_singular_value_norms_and_bad_arguments():
    x = minidl.randn(3, 3)
    for ord in ["nuc", 2, -2]:
        with pytest.raises(ConfigError, match="singular values"):
            minidl.linalg.matrix_norm(x, ord)
    with pytest.raises(DTypeError, match="vector_norm: ord"):
        minidl.linalg.vector_norm(x, "fro")
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        minidl.linalg.matrix_norm(minidl.randn(3))
    with pytest.raises(DimError, match="linalg.vector_norm: dim 2"):
        minidl.linalg.vector_norm(x, dim=2)


# ------------------------------------------------------------------ bad dims name the op
@pytest.mark.parametrize("name, call", [
    ("prod", lambda x: x.prod(2)),
    ("cumsum", lambda x: x.cumsum(-3)),
    ("cumprod", lambda x: x.cumprod(5)),
    ("cummax", lambda x: x.cummax(2)),
    ("cummin", lambda x: x.cummin(2)),
    ("logcumsumexp", lambda x: x.logcumsumexp(2)),
    ("amax", lambda x: x.amax((0, 2))),
    ("amin", lambda x: x.amin(2)),
    ("aminmax", lambda x: x.aminmax(dim=2)),
    ("sort", lambda x: x.sort(2)),
    ("argsort", lambda x: x.argsort(-3)),
    ("kthvalue", lambda x: x.kthvalue(1, 2)),
    ("median", lambda x: x.median(2)),
    ("nanmedian", lambda x: x.nanmedian(-3)),
    ("linalg.matrix_norm", lambda x: minidl.linalg.matrix_norm(x, dim=(0, 2))),
])
def test_a_dim_out_of_range_is_a_dim_error_naming_op_dim_and_ndim(name, call):
    with pytest.raises(DimError, match=rf"^{name}: dim -?\d is out of range for a tensor with "
                                       r"2 dimensions"):
        call(minidl.ones(2, 3))


def test_zero_dim_tensors_as_in_pytorch():
    x = minidl.tensor(2.5)
    assert x.prod(0).item() == 2.5 and x.cumsum(0).item() == 2.5
    assert x.sort().indices.item() == 0 and x.kthvalue(1).values.item() == 2.5
    assert x.median().item() == 2.5 and x.amax().item() == 2.5
    assert x.cummax(0).indices.item() == 0 and x.logcumsumexp(0).item() == 2.5


@pytest.mark.parametrize("call, builtin", [
    (lambda lib: lib.ones(2, 3).sort(2), IndexError),
    (lambda lib: lib.zeros(2, 0).amax(1), IndexError),
    (lambda lib: lib.zeros(2, 0).median(1), IndexError),
    (lambda lib: lib.ones(3).kthvalue(1.5), TypeError),
    (lambda lib: lib.linalg.vector_norm(lib.ones(3), "fro"), TypeError),
    (lambda lib: lib.linalg.matrix_norm(lib.ones(3)), RuntimeError),
    (lambda lib: lib.ones(2, dtype=lib.long).logcumsumexp(0), RuntimeError),
])
def test_errors_are_the_builtin_exceptions_pytorch_raises(call, builtin):
    with pytest.raises(builtin) as raised:
        call(minidl)
    assert isinstance(raised.value, minidl.MinidlError)
    torch = pytest.importorskip("torch")
    with pytest.raises(builtin):
        call(torch)


def test_out_writes_the_result_as_pytorch_does():
    x = minidl.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, 4.0]])
    out = minidl.empty(2, 3)
    assert minidl.cumsum(x, 1, out=out) is out and out.tolist() == [[3, 4, 6], [0.5, 4.5, 8.5]]
    values, indices = minidl.empty(2, 3), minidl.zeros(2, 3, dtype=minidl.int64)
    r = minidl.sort(x, out=(values, indices))
    assert r.values is values and indices.tolist() == [[1, 2, 0], [0, 1, 2]]
    total = minidl.empty(())
    assert minidl.prod(x, out=total) is total and total.item() == 48.0
