"""Devices, tested without a GPU through the stand-in device "fake" (``tests/fake_device.py``).

Its arrays are a NumPy subclass that minidl must keep apart from CPU arrays, as it keeps CuPy
arrays apart. Every op of the gradient table runs on it and must give the CPU's values and
gradients, with every result still on "fake". Transfers are differentiable, mixing devices is an
error that says how to fix it, and random numbers come from the device's own generator. The real
GPU path is the same code with CuPy: the ``device`` fixture adds "cuda" where it exists.

Read next: ``tests/test_stability.py``.
"""
import numpy as np
import pytest

# fake is a fixture
from fake_device import FakeArray, fake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_table import OPS

import minidl
from minidl import backend
from minidl.errors import DeviceError


def on(device, values, requires_grad=False):
    return minidl.tensor(np.asarray(values, dtype=np.float64), device=device,
                         requires_grad=requires_grad)


def test_tensors_are_created_on_the_fake_device(fake):
    x = minidl.tensor([1.0, 2.0], device="fake")
    assert type(x._array) is FakeArray and x.device == "fake:0"
    assert "device='fake:0'" in repr(x)
    for made in (minidl.zeros(2, device=fake), minidl.ones(2, 3, device=fake),
                 minidl.full((2,), 3.0, device=fake), minidl.arange(4, device=fake),
                 minidl.eye(2, device=fake), minidl.linspace(0, 1, 5, device=fake),
                 minidl.randn(3, device=fake), minidl.rand(3, device=fake),
                 minidl.randint(0, 5, (3,), device=fake), minidl.zeros_like(x),
                 minidl.randn_like(x), minidl.tensor(x), minidl.as_tensor(x)):
        assert type(made._array) is FakeArray and made.device == "fake:0"


def test_transfers_round_trip_and_carry_gradients_back(fake):
    x = on("cpu", [1.0, -2.0, 3.0], requires_grad=True)
    y = x.to(fake)
    assert type(y._array) is FakeArray and y.requires_grad
    z = (y * y).sum().to("cpu")
    z.backward()
    assert type(x.grad._array) is np.ndarray
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])
    w = on(fake, [1.0, 2.0], requires_grad=True)
    (w.cpu().exp().to(fake) * 3).sum().backward()
    assert type(w.grad._array) is FakeArray
    np.testing.assert_allclose(w.grad.to("cpu").numpy(), 3 * np.exp([1.0, 2.0]))
    assert x.to("cpu") is x and y.to(fake) is y
    np.testing.assert_array_equal(y.to("cpu").detach().numpy(), x.detach().numpy())


# Device plumbing, not numerics (test_ops_gradcheck.py draws 100 examples per op for those):
# a few examples per op find any array made with NumPy instead of the device's module.
SETTINGS = settings(max_examples=min(settings().max_examples, 20), deadline=None,
                    suppress_health_check=list(settings().suppress_health_check)
                    + [HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@SETTINGS
@given(data=st.data())
def test_every_op_stays_on_the_device_and_matches_the_cpu(op, data, fake):
    """Forward, backward and a second-order backward on "fake" equal the CPU's, and nothing
    produced along the way (outputs, gradients, gradients of gradients) leaves the device."""
    case = data.draw(op.cases, label="case")
    results = {}
    for device in ("cpu", fake):
        xs = [on(device, a, requires_grad=True) for a in case.arrays]
        out = op.fn(*xs, **case.params)
        weights = on(device, np.linspace(-1, 1, out.numel()).reshape(out.shape))
        grads = minidl.grad(out, xs, weights, create_graph=True, allow_unused=True)
        tensors = [out, *(g for g in grads if g is not None)]
        if any(g.requires_grad for g in tensors[1:]):  # differentiate the gradient again
            total = sum((g * g).sum() for g in tensors[1:])
            tensors += [g for g in minidl.grad(total, xs, allow_unused=True) if g is not None]
        assert all(t.device == minidl.backend.parse_device(device) for t in tensors)
        assert all(type(t._array) is (FakeArray if device == fake else np.ndarray)
                   for t in tensors)
        results[device] = [backend.to_host(t._array) for t in tensors]
    for on_cpu, on_fake in zip(results["cpu"], results[fake]):
        np.testing.assert_allclose(on_fake, on_cpu, rtol=1e-12, atol=1e-12)


MIXED = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "matmul": lambda a, b: a @ b,
    "maximum": minidl.maximum, "cat": lambda a, b: minidl.cat([a, b]),
    "where": lambda a, b: minidl.where(a > 0, a, b), "compare": lambda a, b: a < b,
}


@pytest.mark.parametrize("mix", MIXED.values(), ids=MIXED.keys())
def test_mixing_devices_names_both_and_suggests_to(mix, fake):
    for a, b in ((on(fake, [1.0, 2.0]), on("cpu", [3.0, 4.0])),
                 (on("cpu", [1.0, 2.0]), on(fake, [3.0, 4.0]))):
        with pytest.raises(DeviceError) as info:
            mix(a, b)
        message = str(info.value)
        assert "fake:0" in message and "cpu" in message and ".to(" in message


def test_numpy_on_the_device_says_to_copy_to_the_cpu(fake):
    x = on(fake, [1.0])
    with pytest.raises(DeviceError, match=r"\.to\('cpu'\)"):
        x.numpy()
    np.testing.assert_array_equal(x.to("cpu").numpy(), [1.0])
    assert x.tolist() == [1.0] and x.item() == 1.0


def test_random_numbers_come_from_the_device_generator(fake):
    minidl.manual_seed(7)
    a = minidl.randn(4, device=fake)
    minidl.randn(4)  # the CPU's stream is a different one
    minidl.manual_seed(7)
    b = minidl.randn(4, device=fake)
    assert type(a._array) is FakeArray
    assert minidl.random_streams.default_generator(fake).device == fake
    np.testing.assert_array_equal(a.to("cpu").numpy(), b.to("cpu").numpy())
    c = minidl.randn(4, device=fake)
    assert not np.array_equal(b.to("cpu").numpy(), c.to("cpu").numpy())
    mine = minidl.Generator(fake, seed=3)
    d = minidl.rand(3, device=fake, generator=mine)
    assert type(d._array) is FakeArray
    np.testing.assert_array_equal(
        d.to("cpu").numpy(), minidl.rand(3, generator=minidl.Generator("cpu", seed=3)).numpy())


@pytest.mark.parametrize("where", ["device", "fake"])
def test_scatter_add_accumulates_repeated_indices(where, device, fake):
    """Indexing's backward adds the gradient of every copy of a repeated index."""
    target = fake if where == "fake" else device
    x = on(target, [10.0, 20.0, 30.0, 40.0], requires_grad=True)
    index = minidl.tensor([0, 0, 2, 0, 3, 3], device=target)
    (x[index] * on(target, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).sum().backward()
    assert x.grad.device == x.device
    np.testing.assert_array_equal(backend.to_host(x.grad._array), [7.0, 0.0, 3.0, 11.0])
    rows = on(target, np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows[[1, 1], [0, 0]].sum().backward()
    np.testing.assert_array_equal(backend.to_host(rows.grad._array), [[0, 0], [2, 0], [0, 0]])


def test_parse_device_canonical_names(fake):
    assert backend.parse_device(None) == "cpu"
    assert backend.parse_device("cpu") == backend.parse_device("cpu:0") == "cpu"
    assert backend.parse_device("fake") == backend.parse_device("fake:0") == "fake:0"


def test_parse_device_errors(fake):
    with pytest.raises(DeviceError, match="cpu:1"):
        backend.parse_device("cpu:1")
    with pytest.raises(DeviceError, match=r"unknown device type 'gpu'.*'cpu'.*'cuda'"):
        backend.parse_device("gpu")
    with pytest.raises(DeviceError, match="fake:x"):
        backend.parse_device("fake:x")


def test_cuda_without_cupy_is_a_clear_device_error():
    try:
        import cupy
    except ImportError:
        with pytest.raises(DeviceError, match=r"'cuda' is not available.*CuPy.*device='cpu'"):
            minidl.zeros(2, device="cuda")
    else:
        pytest.skip("cuda: CuPy is installed, so 'cuda' may be available")


def test_device_fixture_runs_ops_on_each_available_device(device):
    x = on(device, [1.0, 2.0], requires_grad=True)
    assert x.device == backend.parse_device(device)
    (x * x).sum().backward()
    assert x.grad.device == x.device
    np.testing.assert_array_equal(backend.to_host(x.grad._array), [2.0, 4.0])
