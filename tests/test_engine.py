"""The rules of the backward engine (``minidl/autograd.py``), one test per rule.

Graph shape: deep chains, reused nodes, accumulation, broadcasting undone once, no reference
cycles. Graph life: freed after backward, retain_graph, in-place changes detected.
User-defined Functions, float32 staying float32, and ``.grad`` arrays owned by their leaf.

Read next: ``tests/test_engine_modes.py`` (higher order, hooks, grad modes, anomaly detection).
"""
import gc
import sys
import weakref

import numpy as np
import pytest

import minidl
from minidl import AutogradError
from minidl.autograd import Function
from minidl.node import Node
from minidl.testing import gradcheck, gradgradcheck


def leaf(values, dtype=minidl.float64):
    return minidl.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------------- graph shape
def test_long_chain_backpropagates_without_recursion():
    """Topological order, backward and freeing are all iterative: 100,000 nodes, stack of 200."""
    x = leaf([1.0, -2.0])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        y = x
        for _ in range(100_000):
            y = y * 1.00001
        y.sum().backward()
        del y  # freeing the chain must not recurse either
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_allclose(x.grad.numpy(), [1.00001 ** 100_000] * 2, rtol=1e-9)


def test_reused_node_accumulates():
    a = leaf([1.0, 2.0, -3.0])
    b = a + a
    c = b * b
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 8 * a.detach().numpy())


def test_leaves_accumulate_across_backward_calls_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    x.grad.zero_()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


class AddBias(Function):
    """y = x + b with b broadcast; backward returns gy for both: the engine sums it for b."""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, gy):
        return gy, gy


class WrongShape(Function):
    """Returns a gradient of a shape that is neither the input's nor the output's."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(-1)[:1]


def test_engine_sums_a_broadcast_gradient_back_to_the_input_shape():
    x = leaf(np.ones((2, 3)))
    b = leaf([1.0, 2.0, 3.0])
    AddBias.apply(x, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_engine_rejects_a_wrongly_shaped_gradient_instead_of_summing_it():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(AutogradError, match=r"WrongShape.*\(1,\).*\(2, 3\)"):
        WrongShape.apply(x).sum().backward()


def test_graph_is_freed_by_reference_counting_without_cycles():
    """With the cycle collector off, dropping the output frees the whole graph at once."""
    x = leaf([1.0, 2.0])
    gc.collect()
    gc.disable()
    try:
        hidden = x.exp()  # Exp saves its own output: that reference must not be a cycle
        out = (hidden * x).sum()
        refs = [weakref.ref(hidden), weakref.ref(hidden.grad_fn), weakref.ref(out.grad_fn)]
        del hidden
        assert refs[0]() is not None  # the graph still needs it (Mul saved it for x's gradient)
        del out
        assert [r() for r in refs] == [None, None, None]
        y = x.tanh()
        node = weakref.ref(y.grad_fn)
        y.sum().backward()
        del y
        assert node() is None
    finally:
        gc.enable()


def test_mul_keeps_only_the_inputs_a_needed_gradient_uses():
    """d(h * mask)/dh = mask: the graph keeps the mask, and h's array is freed with h."""
    x = leaf([1.0, 2.0])
    mask = minidl.tensor([0.0, 1.0])
    h = x * 2.0
    array = weakref.ref(h._array)
    out = (h * mask).sum()
    del h
    gc.collect()
    assert array() is None
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0])


class SumOfInputs(Function):
    """y = x_1 + ... + x_n; remembers the needs_input_grad its forward saw."""

    seen = None

    @staticmethod
    def forward(ctx, *xs):
        SumOfInputs.seen = ctx.needs_input_grad
        return sum(xs)

    @staticmethod
    def backward(ctx, gy):
        return tuple(gy if need else None for need in ctx.needs_input_grad)


@pytest.mark.parametrize("n", range(1, 8))
def test_needs_input_grad_names_exactly_the_inputs_that_require_grad(n):
    pattern = [(3 * i + n) % 4 != 0 for i in range(n)]  # mixed, differently for each n
    xs = [leaf([float(i)]) if need else minidl.tensor([float(i)]) for i, need in
          enumerate(pattern)]
    SumOfInputs.apply(*xs).sum().backward()
    assert SumOfInputs.seen == tuple(pattern)
    assert [x.grad is not None for x in xs] == pattern
    with minidl.no_grad():
        SumOfInputs.apply(*xs)
    assert SumOfInputs.seen == (False,) * n


# ---------------------------------------------------------------------- graph life
def test_backward_on_non_scalar_needs_a_gradient():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(AutogradError, match="grad can be implicitly created only for scalar "
                                            r"outputs.*\(2,\)"):
        y.backward()
    y.backward(minidl.tensor([1.0, 1.0], dtype=minidl.float64))


def test_second_backward_through_a_freed_graph_says_so():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="second time") as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


INPLACE = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "clamp_": lambda t: t.clamp_(0.0, 1.0),
    "copy_": lambda t: t.copy_(minidl.tensor([5.0, 6.0, 7.0], dtype=minidl.float64)),
    "__setitem__": lambda t: t.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("change", INPLACE.values(), ids=INPLACE.keys())
def test_inplace_change_of_a_saved_tensor_is_detected(change):
    x = leaf([1.0, 2.0, 3.0])
    a = minidl.tensor([4.0, 5.0, 6.0], dtype=minidl.float64)
    y = (x * a).sum()  # Mul saved `a` for x's gradient
    change(a)
    with pytest.raises(AutogradError, match=r"Mul.*shape \(3,\).*version 1.*expected version 0"):
        y.backward()


def test_inplace_change_of_a_saved_output_or_non_leaf_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()  # saves its output
    with minidl.no_grad():
        y.add_(1.0)
    with pytest.raises(AutogradError, match=r"Exp.*\(2,\).*version 1"):
        y.sum().backward()
    h = x * 2
    z = (h * h).sum()
    with minidl.no_grad():
        h[1] = 0.0
    with pytest.raises(AutogradError, match=r"Mul.*\(2,\).*version 1.*expected version 0"):
        z.backward()


def test_inplace_on_a_leaf_requiring_grad_needs_no_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(AutogradError, match="add_"):
        x.add_(1.0)
    with pytest.raises(AutogradError, match="__setitem__"):
        x[0] = 3.0
    with minidl.no_grad():
        x.add_(1.0)
        x[0] = 5.0
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 3.0])
    assert x.requires_grad and x.is_leaf


# ---------------------------------------------------------------------- user Functions
class Cube(Function):
    """y = x^3;  dy/dx = 3 x^2 (forward on arrays, backward with Tensor ops)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 3 * x * x


def test_user_defined_function_is_gradchecked():
    x = leaf([[0.5, -1.0], [2.0, 0.1]])
    np.testing.assert_allclose(Cube.apply(x).detach().numpy(), x.detach().numpy() ** 3)
    assert gradcheck(Cube.apply, [x])
    assert gradgradcheck(Cube.apply, [x])


def test_every_op_records_a_node_of_one_type_naming_its_function():
    """grad_fn is a Node whatever the op (one type keeps the engine's attribute accesses fast);
    it names the Function it runs, and the ctx forward and backward saw is that node."""
    seen = {}

    class Spy(Function):
        """y = x;  dy/dx = 1"""

        @staticmethod
        def forward(ctx, x):
            seen["forward"] = ctx
            return x.copy()

        @staticmethod
        def backward(ctx, gy):
            seen["backward"] = ctx
            return gy

    x = leaf([1.0, 2.0])
    outputs = {"Mul": x * 2.0, "Tanh": x.tanh(), "Sum": x.sum(), "Cube": Cube.apply(x),
               "Spy": Spy.apply(x)}
    for name, y in outputs.items():
        assert type(y.grad_fn) is Node
        assert y.grad_fn.function.__name__ == y.grad_fn.op_name == name
        assert y.grad_fn.name() == f"{name}Backward0"  # PyTorch's name
        assert repr(y.grad_fn) == f"<{name}Backward0>"
    outputs["Spy"].sum().backward()
    assert seen["forward"] is seen["backward"] is outputs["Spy"].grad_fn
    with minidl.no_grad():
        assert Spy.apply(x).grad_fn is None
    assert type(seen["forward"]) is Node and seen["forward"].function is Spy


# ---------------------------------------------------------------------- dtypes and ownership
SCALARS = [2.5, np.float64(2.5), np.array(2.5), np.float32(2.5), 2]
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": minidl.maximum,
    "minimum": minidl.minimum,
}


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("op", BINARY.values(), ids=BINARY.keys())
def test_float32_stays_float32_with_python_and_numpy_scalars(op, scalar):
    x = leaf([1.5, 2.5], dtype=minidl.float32)
    for y in (op(x, scalar), op(scalar, x)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
    x.grad = None
    y = minidl.where(x > 2, x, scalar) * x.clamp(np.float64(0.0), np.float64(2.0))
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_float32_backward_through_every_kind_of_op_stays_float32():
    x = leaf([[0.5, 1.5], [2.0, 1.0]], dtype=minidl.float32)
    y = (x @ x.T).softmax(1).log() + x.logsumexp(1, keepdim=True) - x.var() * x.std(0)
    y = (y.tanh().sigmoid().exp() * 0.5).sum() + x.max() + x[[0, 0]].mean() + x.abs().sqrt().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_leaf_gradients_are_never_shared_between_leaves():
    """x + y passes one gradient to both: scaling x.grad in place must not change y.grad."""
    for make in (lambda x, y: x + y, lambda x, y: (x + y) * 1, lambda x, y: x[...] + y[...]):
        x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        g = minidl.tensor([1.0, 1.0], dtype=minidl.float64)
        make(x, y).backward(g)
        x.grad.mul_(10)
        np.clip(x.grad.numpy(), 0, 5, out=x.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
        np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])  # nor with the root gradient


def test_a_leaf_used_as_the_root_gets_its_own_gradient_array():
    x = leaf([1.0, 2.0])
    g = minidl.tensor([1.0, 1.0], dtype=minidl.float64)
    x.backward(g)
    x.grad.mul_(3)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_scalar_0d_graphs_backpropagate_and_accumulate():
    """0-d arrays give NumPy scalars in many ops; the engine keeps arrays (regression)."""
    x = leaf(2.0)
    y = (x * 3).exp().log().sigmoid().tanh().abs().relu() ** 2 + x.max() + (x > 1).float()
    y.backward()
    y = (x * 3).exp().log().sigmoid().tanh().abs().relu() ** 2 + x.max()
    y.backward()
    assert isinstance(x.grad._array, np.ndarray) and x.grad.shape == ()
    x.backward()
    x.backward()
    single = minidl.grad((x * 3).exp().log().sigmoid().tanh().abs().relu() ** 2 + x.max(), x)[0]
    np.testing.assert_allclose(x.grad.item(), 2 * single.item() + 2)


def test_detach_shares_data_but_cuts_the_graph():
    x = leaf([1.0, 2.0])
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d._array, h._array)
    (h * d).sum().backward()  # d is a constant: d(h * d)/dx = 2 d
    np.testing.assert_array_equal(x.grad.numpy(), 2 * d.numpy())
    with minidl.no_grad():
        d[0] = 7.0
    assert h.detach().numpy()[0] == 7.0
