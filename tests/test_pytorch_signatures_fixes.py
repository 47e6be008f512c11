"""The behaviour behind the signature audit's later fixes (issue 17): ``out=`` on creation and
indexing functions, randint's two forms, ``backward(inputs=)``, the masking methods, norm
layers' ``bias=``, DataLoader's accepted keywords. Each is compared with PyTorch's result."""
import numpy as np
import pytest
from fake_device import fake  # noqa: F401 (a fixture)

import minidl
import minidl.data
from minidl.errors import AutogradError, DTypeError
from minidl.nn import functional as F

torch = pytest.importorskip("torch")
import torch.utils.data  # noqa: E402


def _pair(array, requires_grad=False):
    return (minidl.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(ours, theirs, tol=1e-12):
    ours = ours.detach().numpy() if isinstance(ours, minidl.Tensor) else ours
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------------------------ creation
CREATION = [  # (name, arguments): the same call in both libraries
    ("zeros", (2, 3)), ("ones", (4,)), ("full", ((2, 2), 7.0)), ("eye", (3, 2)),
    ("linspace", (0.0, 1.0, 5)), ("arange", (1, 7, 2)),
]


@pytest.mark.parametrize("name, args", CREATION)
def test_creation_writes_into_out_and_returns_it(name, args):
    out, tout = minidl.empty(0, dtype=minidl.float64), torch.empty(0, dtype=torch.float64)
    y = getattr(minidl, name)(*args, out=out)
    assert y is out and out.dtype == minidl.float64  # out's dtype, as in PyTorch
    _close(out, getattr(torch, name)(*args, out=tout))


@pytest.mark.parametrize("name", ["empty", "rand", "randn"])
def test_random_and_empty_creation_fill_out_of_the_right_shape(name):
    out = minidl.zeros(2, 3, dtype=minidl.float64)
    version = out._version
    assert getattr(minidl, name)(2, 3, out=out) is out
    assert out.shape == (2, 3) and out.dtype == minidl.float64 and out._version > version
    if name == "rand":
        assert ((out.numpy() >= 0) & (out.numpy() < 1)).all()


def test_creation_out_keeps_an_integer_dtype_and_refuses_another_dtype():
    out, tout = minidl.empty(3, dtype=minidl.int64), torch.empty(3, dtype=torch.int64)
    _close(minidl.ones(3, out=out), torch.ones(3, out=tout))
    assert out.dtype == minidl.int64
    with pytest.raises(DTypeError, match="zeros: dtype float32 does not match the dtype of out"):
        minidl.zeros(3, out=out, dtype=minidl.float32)
    with pytest.raises(TypeError, match="zeros: out must be a Tensor"):
        minidl.zeros(3, out=np.zeros(3))


def test_creation_out_of_another_shape_is_resized_as_in_pytorch():
    out, tout = minidl.empty(0), torch.empty(0)
    assert minidl.arange(5, out=out) is out and out.shape == (5,)
    _close(out, torch.arange(5, out=tout))


def test_arange_takes_start_end_step_by_keyword():
    for kwargs in ({"end": 5}, {"start": 2, "end": 5}, {"start": 1, "end": 2, "step": 0.25}):
        _close(minidl.arange(**kwargs), torch.arange(**kwargs))
    _close(minidl.arange(4), torch.arange(4))


def test_randint_takes_pytorchs_two_forms():
    minidl.manual_seed(0)
    for y in (minidl.randint(5, (40,)), minidl.randint(high=5, size=(40,)),
              minidl.randint(5, size=(40,))):
        assert y.shape == (40,) and y.dtype == minidl.int64
        assert 0 <= y.min().item() and y.max().item() < 5
    y = minidl.randint(3, 6, (2, 20))
    assert y.shape == (2, 20) and 3 <= y.min().item() and y.max().item() < 6
    out = minidl.empty(0, dtype=minidl.int64)
    assert minidl.randint(2, 4, (6,), out=out) is out and out.shape == (6,)
    w = minidl.randint(0, 3, (4,), dtype=minidl.float32, requires_grad=True)
    assert w.requires_grad and w.dtype == minidl.float32
    with pytest.raises(DTypeError, match="only floating-point tensors can require"):
        minidl.randint(0, 3, (4,), requires_grad=True)
    with pytest.raises(TypeError, match="randint: missing the size"):
        minidl.randint(0, 3)


def test_rand_like_and_randn_like_take_a_device(fake):
    x = minidl.zeros(2, 3)
    for like in (minidl.rand_like, minidl.randn_like):
        y = like(x, device=fake)
        assert y.device == fake and y.shape == (2, 3) and y.dtype == x.dtype
        assert like(y, device="cpu").device == "cpu"
        assert like(y).device == fake


# ------------------------------------------------------------------------------ indexing
def _index_calls(m, a, index, mask):
    """(name, thunk) for each shape/indexing function with out=, on module m's tensors."""
    return [
        ("diag", lambda out: m.diag(a, 1, out=out)),
        ("tril", lambda out: m.tril(a, -1, out=out)),
        ("triu", lambda out: m.triu(a, 1, out=out)),
        ("gather", lambda out: m.gather(a, 1, index, out=out)),
        ("index_select", lambda out: m.index_select(a, 0, index[0], out=out)),
        ("index_add", lambda out: m.index_add(a, 1, index[0], a[:, :2], alpha=2, out=out)),
        ("masked_select", lambda out: m.masked_select(a, mask, out=out)),
        ("take_along_dim", lambda out: m.take_along_dim(a, index, 1, out=out)),
        ("take_along_dim", lambda out: m.take_along_dim(a, index, out=out)),
    ]


def test_shape_and_indexing_functions_write_into_out():
    array = np.arange(12.0).reshape(3, 4) - 5
    a, ta = _pair(array)
    index, tindex = _pair(np.array([[2, 0], [1, 1], [3, 0]]))
    mask, tmask = _pair(array > 0)
    ours, theirs = _index_calls(minidl, a, index, mask), _index_calls(torch, ta, tindex, tmask)
    for (name, call), (_, tcall) in zip(ours, theirs):
        out = minidl.empty(0, dtype=minidl.float64)
        assert call(out) is out, name
        _close(out, tcall(torch.empty(0, dtype=torch.float64)))
    out, tout = minidl.empty(0, dtype=minidl.int64), torch.empty(0, dtype=torch.int64)
    assert minidl.nonzero(a, out=out) is out
    _close(out, torch.nonzero(ta, out=tout))
    with pytest.raises(TypeError, match="nonzero: out= is not supported with as_tuple"):
        minidl.nonzero(a, out=out, as_tuple=True)


def test_indexing_out_refuses_a_graph_as_pytorch_does():
    a = minidl.ones(2, 2, requires_grad=True)
    with pytest.raises(AutogradError, match="tril: functions with out=... record no graph"):
        minidl.tril(a, out=minidl.empty(0))


def test_swapdims_and_swapaxes_take_pytorchs_names():
    x, tx = _pair(np.arange(24.0).reshape(2, 3, 4))
    _close(minidl.swapdims(x, dim0=0, dim1=2), torch.swapdims(tx, dim0=0, dim1=2))
    _close(minidl.swapaxes(x, axis0=1, axis1=2), torch.swapaxes(tx, axis0=1, axis1=2))
    _close(x.swapdims(dim0=0, dim1=1), tx.swapdims(dim0=0, dim1=1))


def test_masking_methods_match_pytorch():
    array = np.arange(12.0).reshape(3, 4)
    x, tx = _pair(array, requires_grad=True)
    mask, tmask = _pair(np.array([True, False, True, False]))
    y, ty = x.masked_fill(mask, -1.5) * 2, tx.masked_fill(tmask, -1.5) * 2
    (y + x.tril(1) + x.triu(diagonal=-1)).sum().backward()
    (ty + tx.tril(1) + tx.triu(diagonal=-1)).sum().backward()
    _close(y, ty)
    _close(x.grad, tx.grad)


def test_masked_fill_in_place_changes_the_tensor_and_its_views():
    x, tx = _pair(np.arange(6.0).reshape(2, 3))
    view = x[1]
    mask, tmask = _pair(np.array([[False, True, False], [True, False, True]]))
    assert x.masked_fill_(mask, 9.0) is x
    _close(x, tx.masked_fill_(tmask, 9.0))
    assert view.tolist() == [9.0, 4.0, 9.0] and x._version == view._version == 1
    w = minidl.ones(2, 3, requires_grad=True)
    with pytest.raises(AutogradError, match="masked_fill_: in-place change"):
        w.masked_fill_(mask, 0.0)
    with pytest.raises(DTypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill_(minidl.ones(2, 3), 0.0)
    assert x._version == 1  # a refused fill changed nothing


def test_pad_value_none_means_zero_in_constant_mode():
    x, tx = _pair(np.arange(6.0).reshape(1, 2, 3))
    _close(F.pad(x, (1, 2)), torch.nn.functional.pad(tx, (1, 2)))
    _close(F.pad(x, (1, 1), "constant", None), torch.nn.functional.pad(tx, (1, 1), "constant"))
    _close(F.pad(x, (2, 1), value=-3.0), torch.nn.functional.pad(tx, (2, 1), value=-3.0))
    _close(F.pad(x, (1, 1), "reflect"), torch.nn.functional.pad(tx, (1, 1), "reflect"))


# ------------------------------------------------------------------------------ backward
def test_backward_inputs_accumulates_into_those_tensors_only():
    a, ta = _pair(np.array([1.0, 2.0]), requires_grad=True)
    b, tb = _pair(np.array([3.0, -4.0]), requires_grad=True)
    h, th = a * b, ta * tb
    y, ty = (h * h).sum(), (th * th).sum()
    for out, first, second in ((y, a, h), (ty, ta, th)):
        second.retain_grad()
        out.backward(inputs=[first, second], retain_graph=True)
        out.backward(inputs=first)  # accumulates, as .grad always does
    _close(a.grad, ta.grad)
    _close(h.grad, th.grad)  # retained: filled once per pass, also when not among inputs
    assert b.grad is None and tb.grad is None


def test_backward_inputs_fills_a_non_leaf_input_that_was_not_retained():
    a, ta = _pair(np.array([1.0, 2.0]), requires_grad=True)
    h, th = a * 3, ta * 3
    (h * h).sum().backward(inputs=[h])
    (th * th).sum().backward(inputs=[th])
    _close(h.grad, th.grad)
    assert a.grad is None and ta.grad is None


def test_backward_inputs_with_create_graph_gives_a_differentiable_grad():
    x, tx = _pair(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    other = minidl.tensor([1.0, 1.0, 1.0], requires_grad=True)
    (x ** 3 * other).sum().backward(inputs=[x], create_graph=True)
    (tx ** 3).sum().backward(inputs=[tx], create_graph=True)
    assert x.grad.requires_grad and other.grad is None
    gx = minidl.grad(x.grad.sum(), x)[0]
    _close(gx, torch.autograd.grad(tx.grad.sum(), tx)[0])


def test_backward_inputs_refuses_what_pytorch_refuses():
    x = minidl.tensor([1.0], requires_grad=True)
    with pytest.raises(AutogradError, match="inputs= cannot be empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(AutogradError, match="input 0 of inputs= does not require grad"):
        (x * 2).sum().backward(inputs=[minidl.tensor([1.0])])


# ------------------------------------------------------------------------------ layers
@pytest.mark.parametrize("name, affine, shape", [
    ("BatchNorm1d", True, (4, 3, 5)), ("BatchNorm2d", True, (2, 3, 2, 2)),
    ("InstanceNorm1d", True, (2, 3, 5)), ("InstanceNorm2d", True, (2, 3, 3, 2)),
    ("BatchNorm1d", False, (4, 3)),
])
def test_norm_layers_take_bias_false_as_pytorch(name, affine, shape):
    ours = getattr(minidl.nn, name)(3, affine=affine, bias=False, dtype=minidl.float64)
    theirs = getattr(torch.nn, name)(3, affine=affine, bias=False, dtype=torch.float64)
    assert ours.bias is None and theirs.bias is None
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x, tx = _pair(np.random.default_rng(0).normal(size=shape), requires_grad=True)
    ours(x).pow(3).sum().backward()
    theirs(tx).pow(3).sum().backward()
    _close(x.grad, tx.grad, 1e-9)
    if affine:
        _close(ours.weight.grad, theirs.weight.grad, 1e-9)


def test_norm_layers_refuse_a_bias_that_is_no_bool():
    with pytest.raises(TypeError, match="bias"):
        minidl.nn.BatchNorm2d(3, bias="no")


# ------------------------------------------------------------------------------ data
def test_dataloader_accepts_pin_memory_device_and_in_order():
    data = minidl.data.TensorDataset(minidl.arange(10.0))
    loader = minidl.data.DataLoader(data, batch_size=3, num_workers=0, pin_memory=True,
                                    pin_memory_device="cuda", in_order=False)
    # in_order=False allows batches out of order; minidl's come in order, which is allowed
    assert [b[0].tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert loader.pin_memory_device == "cuda" and loader.in_order is False


def test_default_collate_takes_pytorchs_parameter_name():
    batch = [(np.float32(1.0), 2), (np.float32(3.0), 4)]
    images, labels = minidl.data.default_collate(batch=batch)
    timages, tlabels = torch.utils.data.default_collate(batch=batch)
    _close(images, timages)
    _close(labels, tlabels)
