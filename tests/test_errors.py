"""Misuse gets a minidl error that says what went wrong, never a raw NumPy error.

``MISUSE`` is a table of wrong calls: each names the exception type expected (one of
``minidl.errors``, all subclasses of ``MinidlError``) and fragments the message must contain --
the op, and the offending shapes, dtypes, devices or values. ``HYPERPARAMETERS`` holds bad
arguments that raise a ValueError (PyTorch raises a RuntimeError for some of them:
``tests/test_torch_exceptions.py`` holds the cases where minidl is checked against what PyTorch
raises). A Hypothesis test then
throws random shapes and dims at many ops and checks that whatever is raised is a MinidlError.

Read next: ``tests/test_device.py``.
"""
from typing import Callable, NamedTuple, Sequence

import pytest

# a fixture
from fake_device import fake
from hypothesis import given
from hypothesis import strategies as st
from op_cases import shapes

import minidl
from minidl.errors import (
    AutogradError,
    ConfigError,
    DeviceError,
    DimError,
    DTypeError,
    MinidlError,
    OutOfRangeError,
    ShapeError,
)


class Misuse(NamedTuple):
    name: str
    call: Callable[[], object]
    error: type
    fragments: Sequence[str]  # the message must contain each (a regex-free substring)


def m23():
    return minidl.ones(2, 3)


def v4():
    return minidl.ones(4)


def requiring_grad():
    return minidl.tensor([1.0, 2.0], requires_grad=True)


def backward_twice():
    y = (requiring_grad() * 2).sum()
    y.backward()
    y.backward()


def on_fake():
    return minidl.tensor([1.0, 2.0], device="fake")


BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "maximum": "Maximum",
          "minimum": "Minimum"}
MISUSE = [Misuse(f"{name} shapes", lambda name=name: getattr(minidl, name)(m23(), v4()),
                 ShapeError, [op, "(2, 3)", "(4,)"]) for name, op in BINARY.items()] + [
    Misuse("pow shapes", lambda: m23() ** v4(), ShapeError, ["pow", "(2, 3)", "(4,)"]),
    Misuse("where shapes", lambda: minidl.where(minidl.ones(4) > 0, m23(), m23()), ShapeError,
           ["Where", "(4,)", "(2, 3)"]),
    Misuse("compare shapes", lambda: m23() < v4(), ShapeError, ["lt", "(2, 3)", "(4,)"]),
    Misuse("matmul inner", lambda: m23() @ m23(), ShapeError, ["matmul", "(2, 3)", "3 != 2"]),
    Misuse("matmul batch", lambda: minidl.ones(2, 2, 3) @ minidl.ones(3, 3, 2), ShapeError,
           ["matmul", "batch", "(2, 2, 3)", "(3, 3, 2)"]),
    Misuse("matmul 0-d", lambda: minidl.tensor(2.0) @ m23(), ShapeError,
           ["matmul", "at least one dimension", "()"]),
    Misuse("sum dim", lambda: m23().sum(2), ShapeError, ["sum", "dim 2", "[-2, 1]"]),
    Misuse("mean dim", lambda: m23().mean(-3), ShapeError, ["mean", "dim -3"]),
    Misuse("sum dim twice", lambda: m23().sum((0, -2)), ShapeError, ["sum", "(0, -2)", "twice"]),
    Misuse("sum float dim", lambda: m23().sum(0.5), DTypeError, ["sum", "0.5"]),
    Misuse("softmax dim", lambda: m23().softmax(5), ShapeError, ["softmax", "dim 5"]),
    Misuse("max dim", lambda: m23().max(3), ShapeError, ["max", "dim 3"]),
    Misuse("cat dim", lambda: minidl.cat([m23(), m23()], 2), ShapeError, ["cat", "dim 2"]),
    Misuse("cat shapes", lambda: minidl.cat([m23(), minidl.ones(3, 3)], 1), ShapeError,
           ["cat", "(2, 3)", "(3, 3)"]),
    Misuse("stack dim", lambda: minidl.stack([m23(), m23()], 4), ShapeError, ["stack", "dim 4"]),
    Misuse("stack shapes", lambda: minidl.stack([m23(), minidl.ones(3, 2)]), ShapeError,
           ["stack", "(2, 3)", "(3, 2)"]),
    Misuse("squeeze dim", lambda: m23().squeeze(3), ShapeError, ["squeeze", "dim 3"]),
    Misuse("unsqueeze dim", lambda: m23().unsqueeze(4), ShapeError, ["unsqueeze", "dim 4"]),
    Misuse("transpose dim", lambda: m23().transpose(0, 2), ShapeError, ["transpose", "dim 2"]),
    Misuse("permute dims", lambda: m23().permute(0, 0), ShapeError,
           ["permute", "(0, 0)", "(2, 3)"]),
    Misuse("reshape size", lambda: m23().reshape(4, 2), ShapeError,
           ["reshape", "(2, 3)", "(4, 2)"]),
    Misuse("view size", lambda: m23().view(-1, 4), ShapeError, ["(2, 3)", "(-1, 4)"]),
    Misuse("expand", lambda: m23().expand(3, 3), ShapeError, ["(2, 3)", "(3, 3)"]),
    Misuse("sum_to", lambda: m23().sum_to((4,)), ShapeError, ["sum_to", "(2, 3)", "(4,)"]),
    Misuse("requires_grad int", lambda: minidl.tensor([1, 2], requires_grad=True), DTypeError,
           ["requires_grad", "int64"]),
    Misuse("neg bool", lambda: -(m23() > 0), DTypeError, ["neg", "bool"]),
    Misuse("sub bool", lambda: (m23() > 0) - (m23() > 0), DTypeError, ["sub", "bool"]),
    Misuse("mean of ints", lambda: minidl.arange(3).mean(), DTypeError, ["mean", "int64"]),
    Misuse("index out of range", lambda: m23()[5], OutOfRangeError, ["GetItem", "5", "(2, 3)"]),
    Misuse("index list out of range", lambda: m23()[:, [0, 3]], OutOfRangeError,
           ["GetItem", "3", "size 3"]),
    Misuse("too many indices", lambda: m23()[0, 0, 0], OutOfRangeError, ["GetItem", "(2, 3)"]),
    Misuse("float index", lambda: m23()[minidl.tensor([0.0])], OutOfRangeError,
           ["GetItem", "integer"]),
    Misuse("device mixing", lambda: on_fake() + minidl.tensor([1.0, 2.0]), DeviceError,
           ["Add", "fake:0", "cpu", ".to("]),
    Misuse("device mixing matmul", lambda: on_fake() @ minidl.tensor([1.0, 2.0]), DeviceError,
           ["MatMul", "fake:0", "cpu", ".to("]),
    Misuse("device mixing where", lambda: minidl.where(
        minidl.tensor([True, False]), on_fake(), minidl.tensor([1.0, 2.0])), DeviceError,
        ["where", "fake:0", "cpu"]),
    Misuse("numpy on fake", lambda: on_fake().numpy(), DeviceError, ["numpy", "fake:0",
                                                                     ".to('cpu')"]),
    Misuse("backward non-scalar", lambda: (requiring_grad() * 2).backward(), AutogradError,
           ["backward", "only for scalar outputs", "(2,)"]),
    Misuse("backward without grad", lambda: m23().sum().backward(), AutogradError,
           ["backward", "does not require grad"]),
    Misuse("backward gradient shape", lambda: (requiring_grad() * 2).backward(
        minidl.tensor([1.0])), ShapeError, ["backward", "(1,)", "(2,)"]),
    # (a gradient of another dtype is cast to the output's, as in PyTorch: see
    # tests/test_adversarial_inputs.py)
    Misuse("backward twice", backward_twice, AutogradError, ["second time",
                                                             "retain_graph=True"]),
    Misuse("grad of unused input", lambda: minidl.grad((requiring_grad() * 2).sum(),
                                                       [requiring_grad()]),
           AutogradError, ["grad", "input 0", "allow_unused"]),
    Misuse("item of many", lambda: m23().item(), ShapeError, ["item", "(2, 3)"]),
    Misuse("bool of many", lambda: bool(m23()), ShapeError, ["bool", "(2, 3)", "ambiguous"]),
    Misuse("numpy requiring grad", lambda: requiring_grad().numpy(), AutogradError,
           ["numpy", "requires grad", "detach()"]),
    Misuse("in-place on leaf", lambda: requiring_grad().mul_(2), AutogradError,
           ["mul_", "requires grad", "no_grad"]),
    Misuse("in-place shapes", lambda: m23().add_(v4()), ShapeError, ["add_", "(4,)", "(2, 3)"]),
    Misuse("copy_ shapes", lambda: m23().copy_(v4()), ShapeError, ["copy_", "(4,)", "(2, 3)"]),
    Misuse("setitem shapes", lambda: m23().__setitem__(0, v4()), ShapeError,
           ["__setitem__", "(4,)", "(2, 3)"]),
    Misuse("bad dtype name", lambda: minidl.tensor([1.0], dtype="flaot32"), DTypeError,
           ["dtype", "flaot32"]),
    Misuse("bad dtype zeros", lambda: minidl.zeros(2, dtype="nope"), DTypeError, ["nope"]),
    Misuse("randn of ints", lambda: minidl.randn(2, dtype=minidl.int64), DTypeError,
           ["randn", "int64"]),
    Misuse("ragged data", lambda: minidl.tensor([[1, 2], [3]]), ShapeError, ["tensor"]),
    Misuse("negative size", lambda: minidl.zeros(-1, 2), ShapeError, ["zeros", "(-1, 2)"]),
    Misuse("tensor plus string", lambda: m23() + "x", DTypeError, ["str"]),
    Misuse("where non-bool", lambda: minidl.where(m23(), m23(), m23()), DTypeError,
           ["where", "bool", "float32"]),
    Misuse("pad odd", lambda: minidl.pad(m23(), (1,)), ShapeError, ["pad", "(1,)", "(2, 3)"]),
    Misuse("pad crops too much", lambda: minidl.pad(m23(), (-4, 1)), ShapeError,
           ["pad", "(-4, 1)"]),
    Misuse("pad too long", lambda: minidl.pad(m23(), (1,) * 6), ShapeError,
           ["pad", "(2, 3)", "at most 4"]),
    Misuse("max of empty", lambda: minidl.zeros(0).max(), ShapeError, ["max", "empty", "(0,)"]),
    Misuse("unknown device", lambda: minidl.tensor([1.0], device="gpu"), DeviceError,
           ["gpu", "cpu", "cuda"]),
    Misuse("cpu index", lambda: minidl.tensor([1.0], device="cpu:1"), DeviceError, ["cpu:1"]),
    Misuse("device index", lambda: minidl.tensor([1.0], device="fake:1"), DeviceError,
           ["fake:1", "1 fake device"]),
    Misuse("device not a string", lambda: minidl.zeros(1, device=0), DeviceError, ["0"]),
    Misuse("generator device", lambda: minidl.randn(2, device="fake",
                                                    generator=minidl.Generator("cpu")),
           DeviceError, ["generator", "cpu", "fake:0"]),
]


@pytest.mark.parametrize("case", MISUSE, ids=[c.name for c in MISUSE])
def test_misuse_raises_a_minidl_error_that_names_the_problem(case, fake):
    with pytest.raises(case.error) as info:
        case.call()
    assert isinstance(info.value, MinidlError)
    for fragment in case.fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_the_misuse_table_is_large():
    assert len(MISUSE) >= 30


def test_each_error_is_also_what_python_and_pytorch_programs_catch():
    """NumPy's built-ins and PyTorch's (tests/test_torch_exceptions.py: where each is raised)."""
    assert issubclass(ShapeError, ValueError) and issubclass(ShapeError, RuntimeError)
    assert issubclass(DimError, ShapeError) and issubclass(DimError, IndexError)
    assert issubclass(DTypeError, TypeError) and issubclass(DTypeError, RuntimeError)
    assert issubclass(DeviceError, RuntimeError) and issubclass(AutogradError, RuntimeError)
    assert issubclass(OutOfRangeError, IndexError) and issubclass(ConfigError, ValueError)
    for cls in (ShapeError, DimError, DTypeError, DeviceError, AutogradError, OutOfRangeError,
                ConfigError):
        assert issubclass(cls, MinidlError) and getattr(minidl, cls.__name__) is cls
    with pytest.raises(DimError, match="dim 2 is out of range"):
        m23().sum(2)


HYPERPARAMETERS = [
    ("pad mode", lambda: minidl.pad(m23(), (1, 1), mode="wrap"), ["pad", "wrap"]),
    ("clamp without bounds", lambda: m23().clamp(), ["clamp", "min", "max"]),
    ("var unbiased and correction", lambda: m23().var(unbiased=True, correction=1),
     ["var", "correction"]),
    ("arange step 0", lambda: minidl.arange(0, 5, 0), ["arange", "step"]),
    ("randint bounds", lambda: minidl.randint(5, 2), ["randint", "low=5", "high=2"]),
    ("negative seed", lambda: minidl.manual_seed(-1), ["seed", "-1"]),
]


@pytest.mark.parametrize("call, fragments", [c[1:] for c in HYPERPARAMETERS],
                         ids=[c[0] for c in HYPERPARAMETERS])
def test_bad_hyperparameters_raise_value_error(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)


# ----------------------------------------------------------------------------- fuzzing
OPS_TAKING_DIMS = {
    "sum": lambda x, d, e: x.sum(d), "mean": lambda x, d, e: x.mean((d, e)),
    "var": lambda x, d, e: x.var(d), "max": lambda x, d, e: x.max(d),
    "softmax": lambda x, d, e: x.softmax(d), "logsumexp": lambda x, d, e: x.logsumexp(d),
    "squeeze": lambda x, d, e: x.squeeze(d), "unsqueeze": lambda x, d, e: x.unsqueeze(d),
    "transpose": lambda x, d, e: x.transpose(d, e), "permute": lambda x, d, e: x.permute(d, e),
    "flatten": lambda x, d, e: x.flatten(d, e), "reshape": lambda x, d, e: x.reshape(d, e),
    "expand": lambda x, d, e: x.expand(d, e), "getitem": lambda x, d, e: x[d, e],
    "getitem list": lambda x, d, e: x[[d, e]], "cat": lambda x, d, e: minidl.cat([x, x], d),
    "stack": lambda x, d, e: minidl.stack([x, x], d), "pad": lambda x, d, e: minidl.pad(x, (d, e)),
    "argmax": lambda x, d, e: x.argmax(d), "size": lambda x, d, e: x.size(d),
    "sum_to": lambda x, d, e: x.sum_to((d, e)), "sum tuple": lambda x, d, e: x.sum((d, e)),
    "squeeze tuple": lambda x, d, e: x.squeeze((d, e)), "std": lambda x, d, e: x.std(d),
    "min keepdim": lambda x, d, e: x.min(d, keepdim=True), "argmin": lambda x, d, e: x.argmin(d),
    "log_softmax": lambda x, d, e: x.log_softmax(d), "slice": lambda x, d, e: x[d:e, ::-1],
    "view": lambda x, d, e: x.view(d), "broadcast_to": lambda x, d, e: x.broadcast_to((d, e)),
}
OPS_TAKING_TWO = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b, "maximum": minidl.maximum, "matmul": lambda a, b: a @ b,
    "where": lambda a, b: minidl.where(a > 0, a, b), "compare": lambda a, b: a >= b,
    "cat": lambda a, b: minidl.cat([a, b]), "stack": lambda a, b: minidl.stack([a, b]),
    "copy_": lambda a, b: a.copy_(b), "setitem": lambda a, b: a.__setitem__(0, b),
}


@pytest.mark.parametrize("op", OPS_TAKING_DIMS.values(), ids=OPS_TAKING_DIMS.keys())
@given(shape=shapes(), d=st.integers(-4, 4), e=st.integers(-4, 4))
def test_random_dims_raise_only_minidl_errors(op, shape, d, e):
    try:
        op(minidl.ones(*shape), d, e)
    except MinidlError:
        pass  # any other exception fails the test


@pytest.mark.parametrize("op", OPS_TAKING_TWO.values(), ids=OPS_TAKING_TWO.keys())
@given(shape_a=shapes(), shape_b=shapes())
def test_random_shape_pairs_raise_only_minidl_errors(op, shape_a, shape_b):
    try:
        op(minidl.ones(*shape_a), minidl.ones(*shape_b))
    except MinidlError:
        pass  # any other exception fails the test
