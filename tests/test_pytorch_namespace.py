"""PyTorch's namespace and Python's protocols on minidl (issue 16): dtype aliases, devices,
``Size``, ``minidl.cuda`` / ``accelerator`` / ``backends``, ``minidl.utils.data``,
``from_numpy``, the default dtype and device; ``__array__``, ``__index__``, ``__format__``,
``__float__`` / ``__int__`` / ``__bool__`` with PyTorch's rules (checked against PyTorch itself
where it is installed).
"""
import numpy as np
import pytest
from fake_device import fake

import minidl
from minidl import backend
from minidl.errors import DeviceError, DTypeError

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# ------------------------------------------------------------------ dtypes
def test_pytorchs_dtype_names_are_the_same_dtypes():
    assert minidl.float is minidl.float32 and minidl.double is minidl.float64
    assert minidl.half is minidl.float16 and minidl.long is minidl.int64
    assert minidl.int is minidl.int32 and minidl.short is minidl.int16
    assert minidl.bool is minidl.bool_ and minidl.uint8 == np.uint8
    assert minidl.zeros(2, dtype=minidl.long).dtype == minidl.int64
    assert isinstance(minidl.zeros(1).dtype, minidl.dtype)
    assert not hasattr(minidl, "bfloat16")  # NumPy has no bfloat16 (the README says so)


def test_the_default_dtype_can_be_changed_and_restored():
    assert minidl.get_default_dtype() == minidl.float32
    try:
        minidl.set_default_dtype(minidl.float64)
        assert minidl.get_default_dtype() == minidl.float64
        for t in (minidl.tensor([0.5]), minidl.zeros(2), minidl.ones(1), minidl.randn(2),
                  minidl.rand(2), minidl.empty(1), minidl.eye(2), minidl.arange(0.0, 1.0)):
            assert t.dtype == minidl.float64
        assert minidl.tensor([1]).dtype == minidl.int64  # integers are not affected
        assert repr(minidl.tensor([0.5])) == "tensor([0.5000])"  # the default shows no dtype
    finally:
        minidl.set_default_dtype(minidl.float32)
    assert minidl.tensor([0.5]).dtype == minidl.float32
    with pytest.raises(DTypeError, match="floating-point"):
        minidl.set_default_dtype(minidl.int64)


# ------------------------------------------------------------------ devices
def test_a_device_is_a_string_with_a_type_and_an_index():
    d = minidl.device("cuda:1")
    assert d == "cuda:1" and d.type == "cuda" and d.index == 1
    assert minidl.device("cuda", 1) == d and minidl.device(type="cpu") == "cpu"
    assert minidl.device("cuda").index is None and minidl.device(d) is d
    assert repr(d) == "device(type='cuda', index=1)" and str(d) == "cuda:1"
    assert repr(minidl.device("cpu")) == "device(type='cpu')"
    for bad in ("cuda:x", "", "cuda:1:2", 3):
        with pytest.raises(DeviceError):
            minidl.device(bad)
    with pytest.raises(DeviceError):
        minidl.device("cuda:0", 1)


def test_tensor_device_compares_equal_to_strings_and_devices():
    x = minidl.zeros(2)
    assert x.device == "cpu" and x.device == minidl.device("cpu")
    assert isinstance(x.device, minidl.device) and x.device.type == "cpu"
    assert x.to(minidl.device("cpu")) is x
    assert f"Using {x.device} device" == "Using cpu device"


def test_a_device_minidl_cannot_use_says_so():
    minidl.device("mps")  # made (PyTorch makes it too) ...
    with pytest.raises(DeviceError, match="not available"):  # ... but refused when used
        minidl.zeros(1).to("mps")


def test_the_default_device_places_new_tensors(fake):
    try:
        minidl.set_default_device(fake)
        assert minidl.get_default_device() == fake
        for t in (minidl.zeros(2), minidl.tensor([1.0]), minidl.randn(2), minidl.arange(3)):
            assert t.device == fake
        assert minidl.tensor(minidl.zeros(1, device="cpu")).device == "cpu"  # data's own
        assert minidl.zeros(1, device="cpu").device == "cpu"
    finally:
        minidl.set_default_device(None)
    assert minidl.zeros(2).device == "cpu"


def test_cuda_questions_are_answered_without_a_gpu(monkeypatch):
    loads = []

    def no_cupy():
        loads.append(1)
        raise DeviceError("no CuPy here")

    monkeypatch.setitem(backend._LOADERS, "cuda", no_cupy)
    monkeypatch.setattr(backend, "_MISSING", {})
    monkeypatch.delitem(backend._BACKENDS, "cuda", raising=False)
    assert minidl.cuda.is_available() is False and minidl.cuda.device_count() == 0
    assert minidl.accelerator.is_available() is False
    assert minidl.accelerator.current_accelerator() is None
    assert loads == [1]  # the failed load is remembered, not retried on every question
    minidl.cuda.manual_seed(0)  # nothing to seed, no error (as in PyTorch)
    assert minidl.backends.mps.is_available() is False
    minidl.backends.cudnn.benchmark = True  # accepted, without effect


def test_cuda_questions_with_a_gpu(monkeypatch):
    """A stand-in "cuda" backend with two devices: what minidl.cuda and accelerator see."""
    fake_cuda = backend.Backend(name="cuda", xp=np, array_type=type("A", (np.ndarray,), {}),
                                to_device=None, to_host=None, device_index=lambda a: 0,
                                scatter_add=np.add.at, device_count=lambda: 2)
    monkeypatch.setitem(backend._LOADERS, "cuda", lambda: fake_cuda)
    monkeypatch.setattr(backend, "_MISSING", {})
    monkeypatch.delitem(backend._BACKENDS, "cuda", raising=False)
    try:
        assert minidl.cuda.is_available() and minidl.cuda.device_count() == 2
        assert minidl.accelerator.current_accelerator() == "cuda"
        assert minidl.accelerator.current_accelerator().type == "cuda"
    finally:
        backend.unregister_backend("cuda")


# ------------------------------------------------------------------ Size
def test_shapes_are_sizes():
    x = minidl.zeros(64, 1, 28, 28)
    assert isinstance(x.shape, minidl.Size) and isinstance(x.shape, tuple)
    assert x.shape == (64, 1, 28, 28) and x.size() == x.shape and x.size(1) == 1
    assert repr(x.shape) == "minidl.Size([64, 1, 28, 28])"
    assert isinstance(x.shape[1:], minidl.Size) and x.shape[1:] == (1, 28, 28)
    assert x.shape[1:].numel() == 784 and minidl.Size([]).numel() == 1
    assert isinstance(x.shape[:1] + (5,), minidl.Size)
    batch, *rest = x.shape
    assert batch == 64 and rest == [1, 28, 28]


# ------------------------------------------------------------------ modules of PyTorch's name
def test_utils_data_is_minidl_data_under_pytorchs_path():
    import minidl.utils.data
    from minidl.utils.data import DataLoader, TensorDataset

    assert DataLoader is minidl.data.DataLoader and TensorDataset is minidl.data.TensorDataset
    assert minidl.utils.data.__all__ == minidl.data.__all__
    for name in minidl.data.__all__:
        assert getattr(minidl.utils.data, name) is getattr(minidl.data, name), name


def test_the_trace_helper_no_longer_shadows_a_trace_op():
    assert "trace" not in vars(minidl)  # free for an op, as torch.trace
    x = minidl.tensor([2.0], requires_grad=True)
    with minidl.autograd.trace() as t:
        (x * x).sum().backward()
    assert len(t) == 2


def test_is_tensor():
    assert minidl.is_tensor(minidl.zeros(1)) and not minidl.is_tensor(np.zeros(1))


# ------------------------------------------------------------------ from_numpy
def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6.0).reshape(2, 3)
    t = minidl.from_numpy(a)
    assert t.dtype == minidl.float64 and t.shape == (2, 3)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 100.0
    t.add_(1)
    assert a[1, 2] == 6.0
    for bad in ([1.0, 2.0], minidl.zeros(2), np.array(["a"])):
        with pytest.raises(DTypeError):
            minidl.from_numpy(bad)


# ------------------------------------------------------------------ Python protocols
def test_array_protocol_gives_the_numbers():
    t = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = np.asarray(t)
    assert a.dtype == np.float32 and np.shares_memory(a, t._array)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    b = np.array(t, copy=True)
    assert not np.shares_memory(b, t._array)
    np.testing.assert_array_equal(np.add(t.detach(), 1), [[2, 3], [4, 5]])


def test_array_protocol_refuses_a_tensor_off_the_cpu(fake):
    """As PyTorch refuses a CUDA tensor: the copy to the host is for the user to ask for."""
    t = minidl.zeros(2, device=fake)
    with pytest.raises(DeviceError, match=r"\.cpu\(\)"):
        np.asarray(t)
    assert np.asarray(t.cpu()).shape == (2,)


def test_index_protocol_takes_integer_one_element_tensors():
    assert list(range(10))[minidl.tensor(3)] == 3
    assert list(range(minidl.tensor([4]))) == [0, 1, 2, 3]
    assert hex(minidl.tensor(255)) == "0xff" and [7, 8][minidl.tensor(True)] == 8
    for bad in (minidl.tensor(2.0), minidl.tensor([1, 2])):
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            [1, 2, 3][bad]


def test_number_conversions():
    assert float(minidl.tensor([[1.5]])) == 1.5 and int(minidl.tensor([2.7])) == 2
    assert bool(minidl.tensor([0.0])) is False and bool(minidl.tensor(3)) is True
    assert minidl.tensor(2.0) in minidl.tensor([1.0, 2.0]) and 5 not in minidl.tensor([1, 2])


def test_format_protocol():
    loss, template = minidl.tensor(0.123456), "{:+.2f}"  # (str.format, as the issue wrote)
    assert f"{loss:.4f}" == "0.1235" and template.format(minidl.tensor(2.0)) == "+2.00"
    assert f"{loss:>10.3f}" == "     0.123" and f"{minidl.tensor(7):d}" == "7"
    v = minidl.tensor([1.5, 2.0])
    assert f"{v}" == str(v) == "tensor([1.5000, 2.0000])"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{v:.2f}"


@needs_torch
@pytest.mark.parametrize("values, convert", [
    ([1.0, 2.0], float), ([1.0, 2.0], int), ([1.0, 2.0], bool), ([], bool), ([], float),
    (2.5, lambda t: [0, 1, 2][t]), ([1, 2], lambda t: [0, 1, 2][t]), ([1.5], "{:.2f}".format),
    ([[3]], float), ([[3]], int), ([[3]], lambda t: [0, 1, 2, 3][t]),
])
def test_protocols_succeed_and_fail_where_pytorch_does(values, convert):
    """The same result, or an exception of a class PyTorch's is an instance of too."""
    try:
        expected = convert(torch.tensor(values))
    except Exception as exc:  # PyTorch refuses: minidl must refuse with a class a program
        with pytest.raises(type(exc)):  # catching PyTorch's exception would catch
            convert(minidl.tensor(values))
    else:
        assert convert(minidl.tensor(values)) == expected
