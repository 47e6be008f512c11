"""minidl.save / minidl.load: what round-trips, what is refused, files and file objects, atomic
writes, devices, and PyTorch reading our files and we theirs. Hostile files are in
``test_serialization_crafted.py``."""
import io
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import fake_device
import numpy as np
import pytest
from fake_device import fake  # noqa: F401 (a fixture)
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl import nn, optim
from minidl.serialization import CheckpointError, MissingDependencyError

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def round_trip(obj, tmp_path):
    minidl.save(obj, tmp_path / "f.safetensors")
    return minidl.load(tmp_path / "f.safetensors")


def same(a, b):
    """Equal values of equal types, all the way down (tensors: same dtype, shape, flags)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, minidl.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
        assert a.requires_grad == b.requires_grad
        assert np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=True)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_nested_values_come_back_as_they_were(tmp_path):
    obj = {
        "w": minidl.tensor([[1.0, 2.0]]),
        "grad": minidl.tensor([0.5], requires_grad=True),
        "scalar": minidl.tensor(3),  # 0-d
        "empty": minidl.zeros(0, 3),
        "array": np.arange(6, dtype=np.uint32).reshape(2, 3).T,  # not contiguous
        "flags": [True, False, None],
        "numbers": (1, -2**70, 0.1, float("inf"), float("nan")),
        "text": "naïve ✓",
        1: "the int key", "1": "the str key",  # both kept
        "state": {0: {"step": 4}, 1: {"step": 5}},  # int keys stay ints
        "looks_like_a_tag": {"__tensor__": "w", "__dict__": []},  # stays a plain dict
    }
    same(obj, round_trip(obj, tmp_path))


def test_numpy_scalars_become_numbers(tmp_path):
    back = round_trip({"a": np.float32(0.5), "b": np.int64(7), np.int64(3): "key"}, tmp_path)
    assert back == {"a": 0.5, "b": 7, 3: "key"} and type(back["b"]) is int


DTYPES = [minidl.float16, minidl.float32, minidl.float64, minidl.int8, minidl.int16,
          minidl.int32, minidl.int64, minidl.uint8, minidl.bool_]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_tensor_dtype_round_trips(dtype, tmp_path):
    t = minidl.tensor(np.arange(-3, 3).reshape(2, 3).astype(dtype))
    same(t, round_trip(t, tmp_path))


leaves = (st.none() | st.booleans() | st.integers() | st.text(max_size=5)
          | st.floats(allow_nan=False)
          | st.lists(st.floats(-1e3, 1e3, width=32), max_size=4).map(
              lambda xs: minidl.tensor(np.array(xs, dtype=np.float32))))
structures = st.recursive(
    leaves,
    lambda children: (st.lists(children, max_size=3) | st.tuples(children, children)
                      | st.dictionaries(st.text(max_size=6) | st.integers(-3, 3), children,
                                        max_size=3)),
    max_leaves=12)


@given(structures)
def test_any_structure_round_trips(obj):
    buffer = io.BytesIO()
    minidl.save(obj, buffer)
    same(obj, minidl.load(io.BytesIO(buffer.getvalue())))


def test_a_model_and_its_optimizer_resume_exactly(tmp_path):
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = minidl.randn(16, 4)
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    model2 = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    state = minidl.load(tmp_path / "c")
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["optimizer"])
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).mean().backward()
        o.step()
    for a, b in zip(model.state_dict().values(), model2.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy())


def test_file_objects_work_like_paths(tmp_path):
    state = nn.Linear(3, 2).state_dict()
    with open(tmp_path / "m.safetensors", "wb") as f:
        minidl.save(state, f)
    with open(tmp_path / "m.safetensors", "rb") as f:
        same(dict(state), minidl.load(f))
    # PyTorch's keyword is accepted: a minidl file holds data only, so nothing changes.
    same(dict(state), minidl.load(tmp_path / "m.safetensors", weights_only=False))
    with pytest.raises(CheckpointError, match=r"binary mode \('wb'\)"):
        minidl.save(state, io.StringIO())
    with pytest.raises(CheckpointError, match=r"binary mode \('rb'\)"):
        minidl.load(io.StringIO("text"))


def test_top_level_state_dict_keys_are_the_tensor_names(tmp_path):
    state = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).state_dict()
    minidl.save(state, tmp_path / "m.safetensors")
    plain = safetensors_numpy.load_file(tmp_path / "m.safetensors")
    assert sorted(plain) == sorted(state)
    # Nested values are named by their key path; names that would clash get a suffix.
    minidl.save({"a/b": minidl.ones(1), "a": {"b": minidl.zeros(1)}}, tmp_path / "n")
    assert sorted(safetensors_numpy.load_file(tmp_path / "n")) == ["a/b", "a/b#1"]


@pytest.mark.parametrize("bad, message", [
    (nn.Linear(2, 2), r"cannot save a Linear object.*Save its state_dict\(\) instead"),
    ({"opt": optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)},
     r"\['opt'\]: cannot save a SGD object.*state_dict\(\)"),
    ({"x": object()}, r"\['x'\]: cannot save a object: minidl.save takes tensors"),
    ({"x": {1, 2}}, "cannot save a set"),
    ({(1, 2): 3}, r"dict keys must be strings or integers, got \(1, 2\)"),
    ({1.5: 3}, "dict keys must be strings or integers"),
    ({True: 3}, "dict keys must be strings or integers"),
    (np.array(["a", "b"]), "arrays of dtype <U1 cannot be saved"),
    (np.array([1, "a"], dtype=object), "arrays of dtype object cannot be saved"),
    (np.array([1j]), "arrays of dtype complex128 cannot be saved"),
])
def test_what_cannot_be_saved_is_refused_by_name(bad, message, tmp_path):
    with pytest.raises(CheckpointError, match=message) as info:
        minidl.save(bad, tmp_path / "f")
    assert str(tmp_path / "f") in str(info.value)
    assert not (tmp_path / "f").exists()


def test_cycles_and_deep_nesting_are_refused(tmp_path):
    loop = [1]
    loop.append(loop)
    with pytest.raises(CheckpointError, match="the list contains itself"):
        minidl.save(loop, tmp_path / "f")
    deep = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(CheckpointError, match="nest deeper than 100"):
        minidl.save(deep, tmp_path / "f")
    shared = [1]
    assert round_trip([shared, shared], tmp_path) == [[1], [1]]  # shared is not a cycle


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "last.safetensors"
    minidl.save({"step": 7}, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError):
        minidl.save({"w": object()}, path)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(CheckpointError, match="No space left.*previous file.*unchanged"):
        minidl.save({"step": 8}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and minidl.load(path) == {"step": 7}
    assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]  # no temporary left


def test_unreadable_paths(tmp_path):
    with pytest.raises(CheckpointError, match="nothing.safetensors: no such file"):
        minidl.load(tmp_path / "nothing.safetensors")
    with pytest.raises(CheckpointError, match="cannot be read"):
        minidl.load(tmp_path)
    with pytest.raises(CheckpointError, match="could not be written"):
        minidl.save({}, tmp_path / "missing-dir" / "f")
    with pytest.raises(CheckpointError, match="could not be written"):
        minidl.save({}, tmp_path)  # a directory
    with pytest.raises(CheckpointError, match="expected a path or a binary file object, got a "
                                              "int"):
        minidl.save({}, 3)
    with pytest.raises(CheckpointError, match="got a NoneType"):
        minidl.load(None)
    with pytest.raises(minidl.DeviceError, match="unknown device type 'gpu'"):
        minidl.load(tmp_path / "f", map_location="gpu")


def test_without_safetensors_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import now fails
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(MissingDependencyError, match=r"pip install safetensors.*minidl\[io\]"):
        minidl.save({"x": minidl.ones(1)}, tmp_path / "f")
    assert isinstance(MissingDependencyError("x"), ImportError)


def test_tensors_go_back_to_their_device_or_to_map_location(fake, tmp_path):  # noqa: F811
    t = minidl.tensor([1.0, 2.0], device=fake)
    minidl.save({"t": t}, tmp_path / "f")
    assert minidl.load(tmp_path / "f")["t"].device == fake
    assert minidl.load(tmp_path / "f", map_location="cpu")["t"].device == "cpu"


def test_a_device_that_is_not_there_is_named_with_the_way_out(tmp_path):
    device = fake_device.register()
    try:
        minidl.save(minidl.ones(2, device=device), tmp_path / "f")
    finally:
        fake_device.unregister()
    with pytest.raises(CheckpointError, match=r"device 'fake:0'.*map_location='cpu'"):
        minidl.load(tmp_path / "f")
    assert minidl.load(tmp_path / "f", map_location="cpu").device == "cpu"


# A writer that saves as fast as it can; each file holds arrays filled with its counter, so a
# file mixing two saves would show it.
WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import minidl
    for i in range(1, 10**9):
        minidl.save({"i": i, "a": np.full(20000, i), "b": np.full((50, 50), -i)}, sys.argv[1])
        if i == 1:
            print("ready", flush=True)
""")


def test_kill_during_save_always_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "last.safetensors"
    rng = np.random.default_rng(1234)
    for _ in range(5):  # the training command's kill test adds 20 more, mid-save too
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0.0, 0.05))  # a random moment, most likely mid-save
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait(timeout=30)
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        state = minidl.load(path)
        assert state["i"] >= 1
        assert np.all(state["a"] == state["i"]) and np.all(state["b"] == -state["i"])
