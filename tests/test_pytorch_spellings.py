"""The spellings PyTorch code uses everywhere (issue 16): Tensor methods under PyTorch's names,
``axis=`` / ``keepdims=``, ``out=``, ``grad_fn.next_functions`` and ``grad_fn.name()``, the
error for Tensor methods inside ``Function.forward``, bitwise operators, and the values PyTorch
gives where they are easy to get wrong (sign's gradient, var with a large correction, max over
NaN). Each is checked against NumPy, and against PyTorch where it is installed.
"""
import math
import warnings

import numpy as np
import pytest

import minidl
from minidl.autograd import Function
from minidl.errors import AutogradError, DTypeError, ShapeError
from minidl.node import AccumulateGrad

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

A = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]], np.float32)
B = np.array([[0.5, 2.0, -0.25], [1.0, 0.5, 4.0]], np.float32)

# method name -> (the call on a tensor, given the module (minidl or torch) and the other
# operand; NumPy's value)
METHODS = {
    "add": (lambda x, y, m: x.add(y, alpha=2), A + 2 * B),
    "sub": (lambda x, y, m: x.sub(y), A - B),
    "mul": (lambda x, y, m: x.mul(y), A * B),
    "div": (lambda x, y, m: x.div(y), A / B),
    "neg": (lambda x, y, m: x.neg(), -A),
    "eq": (lambda x, y, m: x.eq(0.5), A == 0.5),
    "ne": (lambda x, y, m: x.ne(y), A != B),
    "lt": (lambda x, y, m: x.lt(y), A < B),
    "le": (lambda x, y, m: x.le(0.5), A <= 0.5),
    "gt": (lambda x, y, m: x.gt(y), A > B),
    "ge": (lambda x, y, m: x.ge(y), A >= B),
    "mm": (lambda x, y, m: x.mm(y.t()), A @ B.T),
    "t": (lambda x, y, m: x.t(), A.T),
    "dot": (lambda x, y, m: x[0].dot(y[1]), A[0] @ B[1]),
    "clone": (lambda x, y, m: x.clone(), A),
    "contiguous": (lambda x, y, m: x.t().contiguous(), A.T),
    "view_as": (lambda x, y, m: x.reshape(-1).view_as(y), A),
    "reshape_as": (lambda x, y, m: x.reshape_as(y.t()), A.reshape(3, 2)),
    "expand_as": (lambda x, y, m: x[:1].expand_as(y), np.broadcast_to(A[:1], (2, 3))),
    "norm": (lambda x, y, m: x.norm(), np.linalg.norm(A)),
    "norm_1_dim": (lambda x, y, m: x.norm(1, dim=1), np.abs(A).sum(1)),
    "norm_inf_keepdim": (lambda x, y, m: x.norm(math.inf, 0, True),
                         np.abs(A).max(0, keepdims=True)),
    "split": (lambda x, y, m: m.cat(x.split([1, 2], dim=1)[::-1], 1), A[:, [1, 2, 0]]),
    "chunk": (lambda x, y, m: x.chunk(2, 1)[1], A[:, 2:]),
    "log1p": (lambda x, y, m: x.abs().log1p(), np.log1p(np.abs(A))),
    "expm1": (lambda x, y, m: x.expm1(), np.expm1(A)),
    "erf": (lambda x, y, m: x.erf(),
            np.array([[math.erf(v) for v in row] for row in A], np.float32)),
    "rsqrt": (lambda x, y, m: x.abs().rsqrt(), 1 / np.sqrt(np.abs(A))),
    "isfinite": (lambda x, y, m: (x / 0).isfinite(), np.zeros_like(A, bool)),
    "isinf": (lambda x, y, m: (x / 0).isinf(), np.ones_like(A, bool)),
    "isnan": (lambda x, y, m: (x * 0 / 0).isnan(), np.ones_like(A, bool)),
    "int": (lambda x, y, m: x.int(), A.astype(np.int32)),
    "long": (lambda x, y, m: x.long(), A.astype(np.int64)),
    "float": (lambda x, y, m: x.double().float(), A),
    "double": (lambda x, y, m: x.double(), A.astype(np.float64)),
    "half": (lambda x, y, m: x.half(), A.astype(np.float16)),
    "bool": (lambda x, y, m: x.bool(), A.astype(bool)),
    "type": (lambda x, y, m: x.type(m.float64), A.astype(np.float64)),
    "type_as": (lambda x, y, m: x.type_as(y.long()), A.astype(np.int64)),
    "max_other": (lambda x, y, m: x.max(y), np.maximum(A, B)),
    "where": (lambda x, y, m: x.where(x > 0, y), np.where(A > 0, A, B)),
}


def _value(t) -> np.ndarray:
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


@pytest.mark.parametrize("name", list(METHODS))
def test_methods_under_pytorchs_names(name):
    call, expected = METHODS[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = call(minidl.tensor(A), minidl.tensor(B), minidl)
    assert out.dtype == expected.dtype if isinstance(expected, np.ndarray) else True
    np.testing.assert_allclose(_value(out), expected, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("name", list(METHODS))
def test_methods_match_pytorch(name):
    call = METHODS[name][0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = call(minidl.tensor(A), minidl.tensor(B), minidl)
    theirs = call(torch.tensor(A), torch.tensor(B), torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(_value(ours), _value(theirs), rtol=1e-6)


def test_type_without_a_dtype_names_the_tensor_type():
    assert minidl.zeros(1).type() == "minidl.FloatTensor"
    assert minidl.zeros(1, dtype=minidl.long).type() == "minidl.LongTensor"
    assert minidl.zeros(1).type("torch.DoubleTensor").dtype == minidl.float64


def test_split_and_chunk_refuse_bad_sizes():
    x = minidl.zeros(5)
    with pytest.raises(ShapeError, match="add up"):
        x.split([2, 2])
    with pytest.raises(ShapeError):
        x.chunk(0)
    with pytest.raises(ShapeError, match="2-D"):
        minidl.mm(x, x)
    with pytest.raises(ShapeError, match="lengths"):
        minidl.dot(x, minidl.zeros(4))
    with pytest.raises(ShapeError, match="<= 2 dimensions"):
        minidl.zeros(1, 2, 3).t()


# ------------------------------------------------------------------ axis= and keepdims=
def test_axis_and_keepdims_are_other_names_for_dim_and_keepdim():
    x = minidl.tensor(A)
    for op in ("sum", "mean", "var", "std", "max", "argmax", "norm", "logsumexp"):
        by_dim = getattr(x, op)(dim=1, keepdim=True)
        by_axis = getattr(x, op)(axis=1, keepdims=True)
        by_dim = by_dim.values if op == "max" else by_dim
        by_axis = by_axis.values if op == "max" else by_axis
        np.testing.assert_array_equal(by_dim.numpy(), by_axis.numpy())
    assert minidl.sum(x, axis=(0, 1)).item() == pytest.approx(A.sum())
    assert minidl.cat([x, x], axis=1).shape == (2, 6)
    assert x.softmax(axis=0).shape == (2, 3)
    with pytest.raises(TypeError, match="both dim"):
        x.sum(dim=0, axis=1)


# ------------------------------------------------------------------ out=
def test_out_writes_into_the_given_tensor():
    x = minidl.tensor(A)
    out = minidl.empty(2, 3)
    assert minidl.exp(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.exp(A), rtol=1e-6)
    values, indices = minidl.empty(2), minidl.zeros(2, dtype=minidl.long)
    result = minidl.max(x, 1, out=(values, indices))
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(indices.numpy(), A.argmax(1))
    for call in (lambda o: minidl.matmul(x, x.t(), out=o), lambda o: minidl.cat([x, x], out=o),
                 lambda o: minidl.sum(x, 0, out=o), lambda o: minidl.clamp(x, 0, out=o),
                 lambda o: minidl.bitwise_and(x.long(), 3, out=o.long())):
        assert call(minidl.empty(0)).numel() > 0  # an empty out is resized, silently


def test_out_refuses_what_pytorch_refuses():
    x = minidl.tensor(A, requires_grad=True)
    with pytest.raises(AutogradError, match="out="):
        minidl.exp(x, out=minidl.empty(2, 3))  # the graph cannot be recorded
    with pytest.raises(AutogradError, match="out="):
        minidl.exp(x.detach(), out=minidl.empty(2, 3, requires_grad=True))
    with minidl.no_grad():
        minidl.exp(x, out=minidl.empty(2, 3))  # nothing recorded: allowed
    with pytest.raises(DTypeError, match="can't be cast"):
        minidl.exp(x.detach(), out=minidl.zeros(2, 3, dtype=minidl.long))
    with pytest.warns(UserWarning, match="resized"):
        minidl.exp(x.detach(), out=minidl.empty(4))


def test_out_changes_storage_in_place_and_a_graph_that_saved_it_notices():
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    out = minidl.zeros(2)
    y = (w * out).sum()  # Mul saved out (the gradient of w is out)
    minidl.exp(minidl.tensor([0.0, 0.0]), out=out)
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        y.backward()


# ------------------------------------------------------------------ grad_fn, as PyTorch shows it
def test_next_functions_and_name():
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    b = minidl.tensor([0.5, 0.5], requires_grad=True)
    c = minidl.tensor([3.0, 4.0])  # a constant
    loss = (c * w + b).exp().sum()
    assert loss.grad_fn.name() == "SumBackward0" and repr(loss.grad_fn) == "<SumBackward0>"
    (exp, _), = loss.grad_fn.next_functions  # (Sum's dims are no inputs: no entries)
    assert exp.name() == "ExpBackward0"
    (add, zero), = exp.next_functions
    assert add.name() == "AddBackward0" and zero == 0
    (mul, _), (leaf_b, _) = add.next_functions
    assert isinstance(leaf_b, AccumulateGrad) and leaf_b.variable is b
    assert leaf_b.name() == "AccumulateGrad" and leaf_b.next_functions == ()
    (constant, _), (leaf_w, _) = mul.next_functions
    assert leaf_w.variable is w and constant is None
    assert (w * c).grad_fn.next_functions == ((AccumulateGrad(w), 0),)  # a last None: left out


@needs_torch
def test_next_functions_have_pytorchs_shape():
    """For ops whose inputs are all tensors, the same number of entries, None in the same
    places, and the same node names."""
    def walk(m, t):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        v = m.tensor([3.0, 4.0], requires_grad=True)
        c = m.tensor([0.5, 1.5])
        y = ((c * w * v).exp() + w).tanh().sum()
        names, frontier = [], [y.grad_fn]
        while frontier:
            node = frontier.pop(0)
            names.append(None if node is None else node.name().rpartition("::")[2])
            if node is not None:
                frontier += [n for n, _ in node.next_functions]
        return names
    assert walk(minidl, None) == walk(torch, None)


# ------------------------------------------------------------------ forward receives arrays
def test_a_tensor_method_inside_forward_is_explained():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            return x.pow(3)  # a Tensor method: NumPy arrays have none of that name

        @staticmethod
        def backward(ctx, gy):
            return gy

    with pytest.raises(DTypeError, match=r"forward receives raw arrays \(numpy.ndarray\)"):
        Cube.apply(minidl.tensor([1.0]))

    class Typo(Function):
        @staticmethod
        def forward(ctx, x):
            return ctx.not_set_anywhere  # not an array's attribute: Python's own error stays

    with pytest.raises(AttributeError, match="not_set_anywhere"):
        Typo.apply(minidl.tensor([1.0]))


# ------------------------------------------------------------------ bitwise operators
INTS = np.array([5, 3, -6, 12])
BITWISE = {  # each works on NumPy arrays, minidl tensors and torch tensors alike
    "&": lambda x: x & 6, "|": lambda x: x | 8, "^": lambda x: x ^ 5, "~": lambda x: ~x,
    "<<": lambda x: x << 2, ">>": lambda x: x >> 1, "tensor & tensor": lambda x: x & (x + 1),
    "r&": lambda x: 6 & x, "r|": lambda x: 8 | x, "r^": lambda x: 5 ^ x,
    "r<<": lambda x: 2 << (x & 3), "r>>": lambda x: 64 >> (x & 3),
}


@pytest.mark.parametrize("op", list(BITWISE))
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_bitwise_on_integers(op, dtype):
    values = INTS.astype(dtype)
    expected = BITWISE[op](values)
    out = BITWISE[op](minidl.tensor(values))
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)
    if torch is not None:
        np.testing.assert_array_equal(out.numpy(), BITWISE[op](torch.tensor(values)).numpy())


def test_bitwise_on_bools_is_logical_and_refused_on_floats():
    p, q = minidl.tensor([True, True, False]), minidl.tensor([True, False, False])
    np.testing.assert_array_equal((p & q).numpy(), [True, False, False])
    np.testing.assert_array_equal((p | q).numpy(), [True, True, False])
    np.testing.assert_array_equal((p ^ q).numpy(), [False, True, False])
    np.testing.assert_array_equal((~p).numpy(), [False, False, True])
    assert (p & 3).dtype == minidl.int64 and (p << 1).tolist() == [2, 2, 0]
    assert minidl.bitwise_xor(p, q).dtype == minidl.bool
    for call in (lambda x: x & 1, lambda x: ~x, lambda x: x << 1):
        with pytest.raises(DTypeError, match="integer and bool"):
            call(minidl.tensor([1.0]))


# ------------------------------------------------------------------ values easy to get wrong
def test_sign_is_differentiable_with_a_zero_gradient():
    x = minidl.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = x.sign()
    assert y.grad_fn.name() == "SignBackward0"
    with np.errstate(invalid="ignore"):  # (0 * inf in the forward: NaN, and NumPy says so)
        (y * math.inf).sum().backward()  # a non-finite gradient does not leak through the 0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert minidl.tensor([-3, 0, 2]).sign().tolist() == [-1, 0, 1]
    assert minidl.tensor([True, False]).sign().tolist() == [True, False]


@pytest.mark.parametrize("values, correction", [([1.0, 2.0], 2), ([1.0, 2.0], 3),
                                                ([1.0, 1.0], 2), ([4.0], 1)])
def test_var_with_a_correction_of_at_least_the_count(values, correction):
    x = minidl.tensor(values)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        var = x.var(correction=correction).item()
    squares = float(np.sum((np.array(values) - np.mean(values)) ** 2))
    assert math.isnan(var) if squares == 0 else var == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        std = x.std(correction=correction).item()
        if torch is not None:
            assert str(var) == str(torch.tensor(values).var(correction=correction).item())
            assert str(std) == str(torch.tensor(values).std(correction=correction).item())


@pytest.mark.parametrize("reduce, expected", [
    (lambda m, x: x.max(), [[0, 0.5, 0], [0.5, 0, 0]]),
    (lambda m, x: x.min(), [[0, 0.5, 0], [0.5, 0, 0]]),
    (lambda m, x: x.max(0).values.sum(), [[0, 1, 1], [1, 0, 0]]),
    (lambda m, x: x.min(1).values.sum(), [[0, 1, 0], [1, 0, 0]]),
    (lambda m, x: x.max(1)[0].sum(), [[0, 1, 0], [1, 0, 0]]),
])
def test_max_and_min_over_nan_pass_the_gradient_as_pytorch(reduce, expected):
    """A NaN is the max and the min; the gradient goes to it (split among the NaNs of a full
    reduction), as in PyTorch."""
    values = [[1.0, math.nan, 3.0], [math.nan, 2.0, 0.5]]
    x = minidl.tensor(values, requires_grad=True)
    reduce(minidl, x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    if torch is not None:
        t = torch.tensor(values, requires_grad=True)
        reduce(torch, t).backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


# ------------------------------------------------------------------ // and %, rounded division
@pytest.mark.parametrize("call", [
    lambda m: m.tensor([7, -7, 6]) // 2, lambda m: m.tensor([7, -7, 6]) % 3,
    lambda m: 7 % m.tensor([3, -3, 5]), lambda m: 9 // m.tensor([2, -2, 4]),
    lambda m: m.tensor([7.5, -7.5]) // 2, lambda m: m.tensor([7, -7]) % 2.5,
    lambda m: m.tensor([7, -7]).div(2, rounding_mode="trunc"),
    lambda m: m.tensor([7.0, -7.0]).div(2, rounding_mode="floor"),
    lambda m: m.tensor([7.0, -7.0]).div(2, rounding_mode="trunc"),
    lambda m: m.remainder(m.tensor([5, -5]), m.tensor([3, 3])),
])
def test_rounded_division_as_python_and_pytorch(call):
    ours = call(minidl)
    if torch is not None:
        theirs = call(torch)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_remainder_has_pytorchs_gradients():
    a = minidl.tensor([7.0, -7.0, 2.5], requires_grad=True)
    b = minidl.tensor([2.0, 2.0, -1.0], requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), -np.floor(np.array([3.5, -3.5, -2.5])))
    x = minidl.tensor([3.0], requires_grad=True)
    (x // 2).sum().backward()  # flat steps: 0 (PyTorch refuses this derivative)
    assert x.grad.item() == 0.0
    with pytest.raises(ValueError, match="rounding_mode"):
        x.div(2, rounding_mode="round")


def test_max_with_dim_prints_as_pytorchs_return_type():
    result = minidl.tensor([[1, 5], [7, 2]]).max(1)
    assert repr(result) == ("minidl.return_types.max(\nvalues=tensor([5, 7]),\n"
                            "indices=tensor([1, 0]))")
    values, indices = result
    assert values is result.values and indices is result[1]
    assert repr(minidl.tensor([3.0]).min(0)).startswith("minidl.return_types.min(")
