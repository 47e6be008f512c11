"""Issue 17's shape and indexing ops beyond the op table: the errors they raise, integer and
bool inputs, the results that are not differentiable (nonzero, int gathers), the cases the
table leaves out (a src larger than its index, repeated scatter writes, reduce=), and spot
checks of values and gradients against PyTorch.

Read next: ``tests/test_engine.py``.
"""
import numpy as np
import pytest

import minidl
from minidl import DimError, DTypeError, OutOfRangeError, ShapeError


def t(data, **kw):
    return minidl.tensor(data, **kw)


def ix(data):
    return minidl.tensor(np.asarray(data, dtype=np.int64))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.gather(1, ix([[0, 3]])), OutOfRangeError, ["gather", "3", "size 3"]),
    (lambda x: x.gather(1, ix([[-1, 0]])), OutOfRangeError, ["gather", "-1"]),
    (lambda x: x.gather(1, t([[0.0, 1.0]])), DTypeError, ["gather", "float"]),
    (lambda x: x.gather(1, ix([0, 1])), ShapeError, ["gather", "dimensions"]),
    (lambda x: x.gather(1, ix([[0], [0], [0]])), ShapeError, ["gather", "larger"]),
    (lambda x: x.gather(2, ix([[0]])), DimError, ["gather", "dim 2"]),
    (lambda x: x.scatter_add(0, ix([[2]]), t([[1.0]])), OutOfRangeError, ["scatter_add", "2"]),
    (lambda x: x.scatter(0, ix([[0, 1]]), t([[1.0]])), ShapeError, ["scatter", "src"]),
    (lambda x: x.scatter_reduce(0, ix([[0]]), t([[1.0]]), "max"), ValueError, ["amax"]),
    (lambda x: x.index_select(0, ix([5])), OutOfRangeError, ["index_select", "5"]),
    (lambda x: x.index_select(0, t([0.0])), DTypeError, ["index_select"]),
    (lambda x: x.index_add(0, ix([0]), t([[1.0, 2.0]])), ShapeError, ["index_add", "(1, 2)"]),
    (lambda x: x.masked_select(t([1, 0])), DTypeError, ["masked_select", "bool"]),
    (lambda x: x.masked_select(t([True, False])), ShapeError, ["masked_select", "(2,)"]),
    (lambda x: x.masked_scatter(t([True, True, True]), t([1.0])), ShapeError,
     ["masked_scatter", "6"]),
    (lambda x: x.repeat(2), ShapeError, ["repeat", "(2,)"]),
    (lambda x: x.narrow(1, 2, 2), ShapeError, ["narrow", "start 2", "length 2"]),
    (lambda x: x.unfold(1, 4, 1), ShapeError, ["unfold", "size 4"]),
    (lambda x: x.unfold(1, 2, 0), ShapeError, ["unfold", "step 0"]),
    (lambda x: x.unflatten(1, (2, 2)), ShapeError, ["unflatten", "(2, 2)"]),
    (lambda x: x.movedim((0, 1), 0), ShapeError, ["movedim"]),
    (lambda x: x.flip((0, 0)), ShapeError, ["flip"]),
    (lambda x: x.roll((1, 2), 0), ShapeError, ["roll"]),
    (lambda x: x.diagonal(0, 1, 1), ShapeError, ["diagonal"]),
    (lambda x: x.diagonal(0.5), DTypeError, ["diagonal", "0.5"]),
    (lambda x: x.reshape(-1).reshape(1, 1, 2, 3).diag(), ShapeError, ["diag", "(1, 1, 2, 3)"]),
    (lambda x: minidl.einsum("ij,jk->ik", x, x), ShapeError, ["einsum", "'j'"]),
    (lambda x: minidl.einsum("ij->ii", x), ShapeError, ["einsum", "'ii'"]),
    (lambda x: minidl.einsum("ij,j", x), ShapeError, ["einsum", "2 operands"]),
    (lambda x: minidl.einsum("ijk", x), ShapeError, ["einsum", "'ijk'"]),
    (lambda x: minidl.einsum("ij,ij", x, x.int()), DTypeError, ["einsum", "dtype"]),
    (lambda x: minidl.pad(x, (3, 0), "reflect"), ShapeError, ["pad", "reflect"]),
    (lambda x: minidl.pad(x, (4, 0), "circular"), ShapeError, ["pad", "circular"]),
    (lambda x: minidl.pad(x, (1, 1), "wrap"), ValueError, ["pad", "wrap"]),
    (lambda x: minidl.pad(x, (-2, -2)), ShapeError, ["pad", "(-2, -2)"]),
    (lambda x: minidl.meshgrid(x, indexing="yx"), ValueError, ["meshgrid", "yx"]),
    (lambda x: x.repeat_interleave(ix([1, 2])), ShapeError, ["repeat_interleave"]),
    (lambda x: x.repeat_interleave(t([1.0]), 0), DTypeError, ["repeat_interleave"]),
])
def test_errors_name_the_op_and_the_values(call, error, words):
    x = minidl.arange(6.0).reshape(2, 3)
    with pytest.raises(error) as info:
        call(x)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ------------------------------------------------------------------ integers and bools
def test_integer_and_bool_inputs_keep_their_dtype():
    x = minidl.arange(6).reshape(2, 3)
    assert x.gather(1, ix([[2, 0]])).tolist() == [[2, 0]]
    assert x.scatter_add(0, ix([[1, 1, 1]]), x[:1]).tolist() == [[0, 1, 2], [3, 5, 7]]
    assert x.flip(0).dtype == minidl.int64 and x.repeat(1, 2).dtype == minidl.int64
    assert minidl.einsum("ij->j", x).tolist() == [3, 5, 7]
    assert minidl.pad(x, (1, 1), "replicate").tolist() == [[0, 0, 1, 2, 2], [3, 3, 4, 5, 5]]
    mean = x.scatter_reduce(1, ix([[0, 0, 0]]), x[:1], "mean", include_self=False)
    assert mean.dtype == minidl.int64 and mean.tolist() == [[1, 1, 2], [3, 4, 5]]
    b = t([[True, False], [False, True]])
    assert b.diagonal().tolist() == [True, True] and b.roll(1, 1).dtype == minidl.bool
    assert b.scatter_reduce(0, ix([[1, 1]]), b, "amax").tolist() == [[True, False],
                                                                      [True, True]]


def test_nonzero_gives_int64_positions():
    x = t([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    nz = x.nonzero()
    assert nz.dtype == minidl.int64 and nz.tolist() == [[0, 1], [1, 0], [1, 2]]
    rows, cols = minidl.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    assert rows.dtype == minidl.int64
    assert t(3.0).nonzero().shape == (1, 0) and t(0.0).nonzero().shape == (0, 0)
    assert minidl.repeat_interleave(ix([2, 0, 1])).tolist() == [0, 0, 2]


def test_tensor_methods_and_functions_are_one():
    x = minidl.arange(12.0).reshape(3, 4)
    assert minidl.moveaxis(x, 0, 1).tolist() == x.movedim(0, 1).tolist() == x.T.tolist()
    assert minidl.swapdims(x, 0, 1).tolist() == x.swapaxes(0, 1).tolist()
    assert [p.tolist() for p in minidl.unbind(x, 1)] == [p.tolist() for p in x.unbind(1)]
    assert minidl.diag(minidl.diag(x)).tolist() == [[0, 0, 0], [0, 5, 0], [0, 0, 10]]


# ------------------------------------------------------------------ beside the op table
def test_scatter_with_repeated_indices_writes_one_of_the_values():
    """PyTorch leaves unspecified which write wins; whichever does gets the gradient."""
    x = minidl.zeros(3, dtype=minidl.float64, requires_grad=True)
    src = t([1.0, 2.0, 3.0], dtype=minidl.float64, requires_grad=True)
    y = x.scatter(0, ix([1, 1, 0]), src)
    assert y[1].item() in (1.0, 2.0) and y[0].item() == 3.0 and y[2].item() == 0.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert sorted(src.grad.tolist()) == [0.0, 1.0, 1.0]
    assert src.grad[2].item() == 1.0 and src.grad[int(y[1].item()) - 1].item() == 1.0


def test_scatter_reduce_ties_split_the_gradient_evenly():
    x = t([2.0, 0.0], requires_grad=True, dtype=minidl.float64)
    src = t([2.0, 2.0, 1.0], requires_grad=True, dtype=minidl.float64)
    x.scatter_reduce(0, ix([0, 0, 1]), src, "amax").sum().backward()
    assert np.allclose(x.grad.numpy(), [1 / 3, 0.0])
    assert np.allclose(src.grad.numpy(), [1 / 3, 1 / 3, 1.0])


torch = pytest.importorskip("torch")


def pair(array, grad=True):
    array = np.asarray(array, dtype=np.float64)
    return (minidl.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad))


def check_with_torch(fn_minidl, fn_torch, *arrays, grads=True):
    pairs = [pair(a) for a in arrays]
    y = fn_minidl(*[p[0] for p in pairs])
    e = fn_torch(*[p[1] for p in pairs])
    np.testing.assert_allclose(y.detach().numpy(), e.detach().numpy(), rtol=1e-12)
    if not grads:
        return
    w = np.random.default_rng(0).standard_normal(tuple(e.shape))
    (y * minidl.tensor(w)).sum().backward()
    (e * torch.tensor(w)).sum().backward()
    for m, p in pairs:
        np.testing.assert_allclose(m.grad.numpy(), p.grad.numpy(), rtol=1e-12)


def test_a_src_larger_than_the_index_uses_its_leading_block():
    """Values against PyTorch; gradients against PyTorch given only that block (its own
    backward fails for a larger src), and zero outside the block."""
    rng = np.random.default_rng(1)
    a, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    index = np.array([[0, 2, 1], [2, 2, 0]])
    calls = [(lambda x, s, reduce=reduce: x.scatter_reduce(0, ix(index), s, reduce,
                                                            include_self=False),
              lambda x, s, reduce=reduce: x.scatter_reduce(0, torch.tensor(index), s, reduce,
                                                           include_self=False))
             for reduce in ["sum", "prod", "mean", "amax", "amin"]]
    calls += [(lambda x, s: x.scatter_add(1, ix(index), s),
               lambda x, s: x.scatter_add(1, torch.tensor(index), s))]
    for fn, torch_fn in calls:
        check_with_torch(fn, torch_fn, a, src, grads=False)
        check_with_torch(fn, torch_fn, a, src[:2, :3])
        s = minidl.tensor(src, requires_grad=True)
        fn(minidl.tensor(a), s).sum().backward()
        assert not s.grad.numpy()[:, 3:].any() and not s.grad.numpy()[2].any()
    # PyTorch's older spelling (which it does not differentiate)
    check_with_torch(lambda x, s: x.scatter(1, ix(index), s, reduce="multiply"),
                     lambda x, s: x.scatter(1, torch.tensor(index), s, reduce="multiply"),
                     a, src, grads=False)


@pytest.mark.parametrize("equation, shapes", [
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("...d,d->...", [(2, 3, 4), (4,)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("iji->j", [(2, 3, 2)]),
    ("Ab,bC->AC", [(2, 3), (3, 2)]),
])
def test_einsum_matches_pytorch(equation, shapes):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in shapes]
    check_with_torch(lambda *xs: minidl.einsum(equation, *xs),
                     lambda *xs: torch.einsum(equation, *xs), *arrays)
    check_with_torch(lambda *xs: minidl.einsum(equation, list(xs)),
                     lambda *xs: torch.einsum(equation, list(xs)), *arrays)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_of_images_match_pytorch(mode):
    a = np.random.default_rng(3).standard_normal((2, 1, 4, 5))
    check_with_torch(lambda x: minidl.nn.functional.pad(x, (1, 2, 3, 0), mode),
                     lambda x: torch.nn.functional.pad(x, (1, 2, 3, 0), mode), a)


def test_index_add_nonzero_take_along_dim_match_pytorch():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    check_with_torch(lambda x, s: x.index_add(1, ix([0, 2, 0, 1, 0]), s, alpha=0.5),
                     lambda x, s: x.index_add(1, torch.tensor([0, 2, 0, 1, 0]), s, alpha=0.5),
                     a, b)
    idx = np.array([[2], [0], [1], [1]])
    check_with_torch(lambda x: minidl.take_along_dim(x, ix(idx), 1),
                     lambda x: torch.take_along_dim(x, torch.tensor(idx), 1), a)
    x = (a > 0).astype(np.float64)
    assert minidl.tensor(x).nonzero().tolist() == torch.tensor(x).nonzero().tolist()


def test_integer_scatter_mean_rounds_down_as_pytorch():
    for include_self in (True, False):
        y = t([[-7, 5, 3]]).scatter_reduce(1, ix([[0, 0, 1]]), t([[-2, 4, 0]]), "mean",
                                           include_self=include_self)
        e = torch.tensor([[-7, 5, 3]]).scatter_reduce(
            1, torch.tensor([[0, 0, 1]]), torch.tensor([[-2, 4, 0]]), "mean",
            include_self=include_self)
        assert y.tolist() == e.tolist()


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_prod_gradients_at_zeros_match_pytorch(include_self):
    """One zero factor, two at one position, a zero that is no factor (self, excluded):
    first and second derivatives as PyTorch's."""
    a, s = [[0.0, 2.0, 3.0], [4.0, 0.0, 6.0]], [[1.5, 0.0, 2.0], [0.0, 3.0, -1.0]]
    w = np.arange(6.0).reshape(2, 3)
    results = []
    for lib in (minidl, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(s, dtype=lib.float64, requires_grad=True)
        out = x.scatter_reduce(0, lib.tensor([[1, 0, 1], [1, 1, 0]]), y, "prod",
                               include_self=include_self)
        gx, gy = lib.autograd.grad((out * lib.tensor(w)).sum(), [x, y], create_graph=True)
        second = lib.autograd.grad(((gx + gy) * lib.tensor(w)).sum(), [x, y])
        results.append([v.detach().numpy() for v in (out, gx, gy) + tuple(second)])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
