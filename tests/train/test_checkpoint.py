"""Checkpoints: round trips, clear errors for bad files, and atomic saves that survive SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import minidl
from minidl import nn, optim
from minidl.train import CheckpointError, load_checkpoint, restore, save_checkpoint


def nested_state():
    return {
        "model": {"fc.weight": minidl.tensor([[1.0, 2.0]]), "bn.count": np.array(3)},
        "optimizer": {"state": {0: {"step": 4, "exp_avg": np.arange(3, dtype=np.float64)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]},
        "scheduler": None,
        "best": float("inf"),
        "name": "run",
        "flags": [True, np.float32(0.5)],
    }


def test_round_trip_keeps_values_and_dtypes(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", nested_state())
    state = load_checkpoint(path)
    weight = state["model"]["fc.weight"]
    assert weight.dtype == np.float32 and weight.tolist() == [[1.0, 2.0]]
    assert state["model"]["bn.count"].shape == () and state["model"]["bn.count"] == 3
    # JSON keys are strings, tuples come back as lists.
    assert state["optimizer"]["state"]["0"]["step"] == 4
    assert np.array_equal(state["optimizer"]["state"]["0"]["exp_avg"], np.arange(3.0))
    assert state["optimizer"]["param_groups"][0]["betas"] == [0.9, 0.999]
    assert state["scheduler"] is None and state["best"] == float("inf")
    assert state["name"] == "run" and state["flags"] == [True, 0.5]


def test_the_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    save_checkpoint(tmp_path / "c.npz", nested_state())
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert "model/fc.weight" in archive.files
        meta = json.loads(archive["__meta__"].tobytes())
    assert meta["format"] == "minidl-checkpoint"
    assert meta["state"]["model"]["fc.weight"] == {"__array__": "model/fc.weight"}


def test_unsaveable_values_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="cannot save a object"):
        save_checkpoint(tmp_path / "c.npz", {"x": object()})
    with pytest.raises(CheckpointError, match="dict keys must be strings"):
        save_checkpoint(tmp_path / "c.npz", {"x": {(1, 2): 3}})


def good_file(tmp_path):
    return save_checkpoint(tmp_path / "last.npz", {"w": np.arange(1000.0), "step": 7})


@pytest.mark.parametrize("damage, problem", [
    (lambda data: data[: len(data) // 2], "truncated or corrupt"),
    (lambda data: data[:100], "truncated or corrupt"),
    (lambda data: b"", "truncated or corrupt"),
    (lambda data: data[:3000] + bytes(64) + data[3064:], "truncated or corrupt"),
    (lambda data: b"hello, world" * 10, "truncated or corrupt"),
])
def test_damaged_files_name_the_file_and_the_problem(tmp_path, damage, problem):
    path = good_file(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=problem) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_files_that_are_not_checkpoints(tmp_path):
    missing = tmp_path / "nothing.npz"
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(missing)
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(CheckpointError, match="not a minidl checkpoint"):
        load_checkpoint(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.zeros(2))
    with pytest.raises(CheckpointError, match="not an .npz"):
        load_checkpoint(tmp_path / "single.npy")
    np.savez(tmp_path / "objects.npz", __meta__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="truncated or corrupt"):  # refuses the pickle
        load_checkpoint(tmp_path / "objects.npz")


def test_newer_versions_and_inconsistent_archives_are_refused(tmp_path):
    def write(meta, **arrays):
        meta = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        np.savez(tmp_path / "c.npz", __meta__=meta, **arrays)
        return tmp_path / "c.npz"

    with pytest.raises(CheckpointError, match="version 99 is newer"):
        load_checkpoint(write({"format": "minidl-checkpoint", "version": 99, "state": {}}))
    state = {"w": {"__array__": "w"}}
    with pytest.raises(CheckpointError, match="'w' named in the metadata is missing"):
        load_checkpoint(write({"format": "minidl-checkpoint", "version": 1, "state": state}))
    with pytest.raises(CheckpointError, match=r"not named in the metadata: \['extra'\]"):
        load_checkpoint(write({"format": "minidl-checkpoint", "version": 1, "state": state},
                              w=np.zeros(1), extra=np.zeros(1)))


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = good_file(tmp_path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError):
        save_checkpoint(path, {"w": object()})

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(CheckpointError, match="No space left.*previous file.*unchanged"):
        save_checkpoint(path, {"w": np.zeros(5), "step": 8})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path)["step"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.npz"]  # no temporary left


def test_restore_reports_mismatches_with_the_file_name(tmp_path):
    minidl.manual_seed(0)
    path = save_checkpoint(tmp_path / "m.npz", {"model": nn.Linear(3, 2).state_dict()})
    state = load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"m\.npz.*does not fit this model.*size mismatch"):
        restore(path, state, model=nn.Linear(4, 2))
    with pytest.raises(CheckpointError, match="missing key.*'0.weight'.*unexpected key"):
        restore(path, state, model=nn.Sequential(nn.Linear(3, 2)))
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        restore(path, state, optimizer=optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1))
    model = nn.Linear(3, 2)
    restore(path, state, model=model, optimizer=None)  # None components are skipped
    assert np.array_equal(model.weight.detach().numpy(), state["model"]["weight"])


# A writer that saves checkpoints as fast as it can; each holds arrays filled with its counter,
# so a loaded checkpoint that mixed two saves would show it.
WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from minidl.train import save_checkpoint
    path = sys.argv[1]
    for i in range(1, 10**9):
        save_checkpoint(path, {"i": i, "a": np.full(20000, i), "b": np.full((50, 50), -i)})
        if i == 1:
            print("ready", flush=True)
""")


def test_kill_during_save_always_leaves_a_loadable_checkpoint(tmp_path):
    path = tmp_path / "last.npz"
    rng = np.random.default_rng(1234)
    last_seen = 0
    for _kill in range(10):
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
        state = load_checkpoint(path)
        i = state["i"]
        assert i >= 1
        assert np.all(state["a"] == i) and np.all(state["b"] == -i)
        assert zipfile.is_zipfile(path)
        last_seen = i
    assert last_seen >= 1
