"""``out=`` on the arithmetic functions and softmax, as in PyTorch: ``minidl.add(a, b, out=c)``
writes the result into ``c`` and returns ``c``; with grad mode on and an argument that
requires grad it is refused (such a call records no graph), as PyTorch refuses it.

Read next: ``tests/test_device.py``.
"""
import numpy as np
import pytest

import minidl
from minidl.errors import AutogradError, DTypeError

A = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]
B = [[2.0, 1.0, -3.0], [1.5, 2.0, 4.0]]

CALLS = {  # name -> call(lib, a, b, out)
    "add": lambda lib, a, b, out: lib.add(a, b, out=out),
    "add alpha": lambda lib, a, b, out: lib.add(a, b, alpha=2, out=out),
    "sub": lambda lib, a, b, out: lib.sub(a, b, out=out),
    "sub alpha": lambda lib, a, b, out: lib.sub(a, b, alpha=0.5, out=out),
    "mul": lambda lib, a, b, out: lib.mul(a, b, out=out),
    "mul scalar": lambda lib, a, b, out: lib.mul(a, 3.0, out=out),
    "div": lambda lib, a, b, out: lib.div(a, b, out=out),
    "pow scalar": lambda lib, a, b, out: lib.pow(a, 2, out=out),
    "pow tensor": lambda lib, a, b, out: lib.pow(a.abs(), b, out=out),
    "neg": lambda lib, a, b, out: lib.neg(a, out=out),
    "softmax": lambda lib, a, b, out: lib.softmax(a, 1, out=out),
    "log_softmax": lambda lib, a, b, out: lib.log_softmax(a, 0, out=out),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_out_receives_the_result_and_is_returned(name):
    a, b = minidl.tensor(A), minidl.tensor(B)
    out = minidl.zeros(2, 3)
    version = out._version
    result = CALLS[name](minidl, a, b, out)
    assert result is out
    assert out._version > version  # an in-place change: a graph that saved out would refuse
    expected = CALLS[name](minidl, a, b, None)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t_out = torch.zeros(2, 3)
    assert CALLS[name](torch, torch.tensor(A), torch.tensor(B), t_out) is t_out
    np.testing.assert_allclose(out.numpy(), t_out.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", list(CALLS))
def test_out_is_refused_while_an_argument_requires_grad(name):
    a, b = minidl.tensor(A, requires_grad=True), minidl.tensor(B)
    with pytest.raises(AutogradError, match="out="):
        CALLS[name](minidl, a, b, minidl.zeros(2, 3))
    with minidl.no_grad():  # no graph is recorded: fine
        assert CALLS[name](minidl, a, b, minidl.zeros(2, 3)).shape == (2, 3)
    if "softmax" in name:  # (PyTorch lets these through, with grad_fn=<NotImplemented>: a
        return  # gradient that fails later; minidl refuses them as it refuses the others)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="out="):
        CALLS[name](torch, torch.tensor(A, requires_grad=True), torch.tensor(B),
                    torch.zeros(2, 3))


def test_a_float_result_is_not_written_into_an_integer_out():
    out = minidl.zeros(3, dtype=minidl.int64)
    with pytest.raises(DTypeError, match="div.*float32.*int64"):
        minidl.div(minidl.tensor([1, 2, 3]), 2, out=out)
    assert out.tolist() == [0, 0, 0]
    assert minidl.add(minidl.tensor([1, 2, 3]), 1, out=out).tolist() == [2, 3, 4]


def test_out_may_be_an_input():
    x = minidl.tensor([1.0, 2.0])
    assert minidl.mul(x, x, out=x) is x and x.tolist() == [1.0, 4.0]


def test_operators_are_unchanged():
    a, b = minidl.tensor(A, requires_grad=True), minidl.tensor(B)
    y = (a + b) * b - a / b + (-a) ** 2
    y.sum().backward()
    assert a.grad.shape == (2, 3)
