"""minidl raises what PyTorch raises: a program's ``except RuntimeError`` or ``except IndexError``
catches minidl's error in the same place.

Each row of ``RAISES`` is a wrong call spelled the same in both libraries (``lib`` is ``minidl``
or ``torch``) and the built-in exception PyTorch raises for it. minidl's error must be a
``MinidlError`` (with its own message, checked in ``tests/test_errors.py``) and an instance of
that built-in; when PyTorch is installed, the second test checks the table against PyTorch.

Read next: ``tests/test_device.py``.
"""
from typing import Callable, NamedTuple

import pytest

import minidl
from minidl.errors import MinidlError


class Raises(NamedTuple):
    name: str
    call: Callable  # call(lib) with lib = minidl or torch
    error: type  # the built-in exception PyTorch raises


def m23(lib):
    return lib.ones(2, 3)


def leaf(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


RAISES = [
    # shapes that do not fit: RuntimeError
    Raises("add shapes", lambda lib: m23(lib) + lib.ones(4), RuntimeError),
    Raises("pow shapes", lambda lib: m23(lib) ** lib.ones(4), RuntimeError),
    Raises("compare shapes", lambda lib: m23(lib) < lib.ones(4), RuntimeError),
    Raises("maximum shapes", lambda lib: lib.maximum(m23(lib), lib.ones(4)), RuntimeError),
    Raises("where shapes", lambda lib: lib.where(lib.ones(4) > 0, m23(lib), m23(lib)),
           RuntimeError),
    Raises("matmul inner", lambda lib: m23(lib) @ m23(lib), RuntimeError),
    Raises("matmul 0-d", lambda lib: lib.tensor(2.0) @ m23(lib), RuntimeError),
    Raises("cat shapes", lambda lib: lib.cat([m23(lib), lib.ones(3, 3)], 1), RuntimeError),
    Raises("stack shapes", lambda lib: lib.stack([m23(lib), lib.ones(3, 2)]), RuntimeError),
    Raises("reshape size", lambda lib: m23(lib).reshape(4, 2), RuntimeError),
    Raises("view size", lambda lib: m23(lib).view(-1, 4), RuntimeError),
    Raises("expand", lambda lib: m23(lib).expand(3, 3), RuntimeError),
    Raises("permute twice", lambda lib: m23(lib).permute(0, 0), RuntimeError),
    Raises("sum dim twice", lambda lib: m23(lib).sum((0, -2)), RuntimeError),
    Raises("in-place shapes", lambda lib: m23(lib).add_(lib.ones(4)), RuntimeError),
    Raises("copy_ shapes", lambda lib: m23(lib).copy_(lib.ones(4)), RuntimeError),
    Raises("setitem shapes", lambda lib: m23(lib).__setitem__(0, lib.ones(4)), RuntimeError),
    Raises("item of many", lambda lib: m23(lib).item(), RuntimeError),
    Raises("bool of many", lambda lib: bool(m23(lib)), RuntimeError),
    Raises("max of empty", lambda lib: lib.zeros(0).max(), RuntimeError),
    Raises("pad odd", lambda lib: lib.nn.functional.pad(m23(lib), (1,)), RuntimeError),
    Raises("conv2d channels", lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 2, 3, 3), lib.ones(1, 1, 2, 2)), RuntimeError),
    Raises("mse_loss shapes", lambda lib: lib.nn.functional.mse_loss(m23(lib), lib.ones(4)),
           RuntimeError),
    # a dim out of range: IndexError
    Raises("sum dim", lambda lib: m23(lib).sum(2), IndexError),
    Raises("mean dim", lambda lib: m23(lib).mean(-3), IndexError),
    Raises("softmax dim", lambda lib: m23(lib).softmax(5), IndexError),
    Raises("logsumexp dim", lambda lib: m23(lib).logsumexp(3), IndexError),
    Raises("max dim", lambda lib: m23(lib).max(3), IndexError),
    Raises("argmax dim", lambda lib: m23(lib).argmax(5), IndexError),
    Raises("cat dim", lambda lib: lib.cat([m23(lib), m23(lib)], 2), IndexError),
    Raises("stack dim", lambda lib: lib.stack([m23(lib), m23(lib)], 4), IndexError),
    Raises("squeeze dim", lambda lib: m23(lib).squeeze(3), IndexError),
    Raises("unsqueeze dim", lambda lib: m23(lib).unsqueeze(4), IndexError),
    Raises("transpose dim", lambda lib: m23(lib).transpose(0, 2), IndexError),
    Raises("flatten dim", lambda lib: m23(lib).flatten(0, 5), IndexError),
    Raises("size dim", lambda lib: m23(lib).size(5), IndexError),
    # an index out of range: IndexError
    Raises("index", lambda lib: m23(lib)[5], IndexError),
    Raises("negative index", lambda lib: m23(lib)[-3], IndexError),
    Raises("index list", lambda lib: m23(lib)[:, [0, 3]], IndexError),
    Raises("index tensor", lambda lib: m23(lib)[lib.tensor([7])], IndexError),
    Raises("too many indices", lambda lib: m23(lib)[0, 0, 0], IndexError),
    Raises("float index", lambda lib: m23(lib)[lib.tensor([0.0])], IndexError),
    Raises("mask shape", lambda lib: m23(lib)[lib.tensor([True, False, True])], IndexError),
    Raises("cross_entropy target", lambda lib: lib.nn.functional.cross_entropy(
        m23(lib), lib.tensor([0, 5])), IndexError),
    # dtypes: RuntimeError
    Raises("requires_grad int", lambda lib: lib.tensor([1, 2], requires_grad=True),
           RuntimeError),
    Raises("neg bool", lambda lib: -(m23(lib) > 0), RuntimeError),
    Raises("sub bool", lambda lib: (m23(lib) > 0) - (m23(lib) > 0), RuntimeError),
    Raises("mean of ints", lambda lib: lib.arange(3).mean(), RuntimeError),
    Raises("in-place float into int", lambda lib: lib.ones(2, dtype=lib.int64).add_(
        lib.ones(2)), RuntimeError),
    Raises("where non-bool", lambda lib: lib.where(m23(lib), m23(lib), m23(lib)), RuntimeError),
    Raises("randn of ints", lambda lib: lib.randn(2, dtype=lib.int64), RuntimeError),
    Raises("int to a negative power", lambda lib: lib.tensor([2]) ** -1, RuntimeError),
    Raises("linear dtypes", lambda lib: lib.nn.functional.linear(
        lib.ones(2, 2, dtype=lib.float64), lib.ones(2, 2)), RuntimeError),
    Raises("cross_entropy float target", lambda lib: lib.nn.functional.cross_entropy(
        m23(lib), lib.tensor([0.0, 1.0])), RuntimeError),
    # the wrong Python type: TypeError; data that makes no tensor: ValueError
    Raises("float dim", lambda lib: m23(lib).sum(0.5), TypeError),
    Raises("tensor plus string", lambda lib: m23(lib) + "x", TypeError),
    Raises("ragged data", lambda lib: lib.tensor([[1, 2], [3]]), ValueError),
    # autograd and devices: RuntimeError
    Raises("backward non-scalar", lambda lib: (leaf(lib) * 2).backward(), RuntimeError),
    Raises("backward without grad", lambda lib: m23(lib).sum().backward(), RuntimeError),
    Raises("grad of unused input", lambda lib: lib.autograd.grad((leaf(lib) * 2).sum(),
                                                                 [leaf(lib)]), RuntimeError),
    Raises("numpy requiring grad", lambda lib: leaf(lib).numpy(), RuntimeError),
    Raises("in-place on a leaf", lambda lib: leaf(lib).mul_(2), RuntimeError),
    Raises("unknown device", lambda lib: lib.tensor([1.0], device="gpu"), RuntimeError),
]
IDS = [row.name for row in RAISES]


@pytest.mark.parametrize("row", RAISES, ids=IDS)
def test_minidl_raises_what_pytorch_raises(row):
    with pytest.raises(MinidlError) as info:
        row.call(minidl)
    assert isinstance(info.value, row.error), (type(info.value).__mro__, str(info.value))


@pytest.mark.parametrize("row", RAISES, ids=IDS)
def test_pytorch_raises_the_exception_in_the_table(row):
    torch = pytest.importorskip("torch")
    with pytest.raises(row.error):
        row.call(torch)
