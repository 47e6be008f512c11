"""--resume continues exactly: stopping (or being killed) and resuming gives the same bits as a
straight run, because the checkpoint holds every piece of state a step depends on.

The tiny CNN has everything that could go wrong: BatchNorm buffers, dropout (random masks), Adam
state, a cosine schedule and a shuffled loader whose position must be restored mid-epoch.
"""
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from minidl.train import load_checkpoint

from .helpers import ROOT, TINY, run_script, script_command, script_env

EPOCHS = ["--epochs", "2"]  # 2 x 10 steps


@pytest.fixture(scope="module")
def straight_run(tiny_data, tmp_path_factory):
    """The final checkpoint of 20 steps trained without a break."""
    out = tmp_path_factory.mktemp("straight")
    result = run_script("--data-dir", tiny_data, "--out", out, *EPOCHS, *TINY)
    assert result.returncode == 0, result.stderr
    return load_checkpoint(out / "last.npz")


def assert_same_training_state(a, b):
    """Bit-identical parameters, buffers and optimizer state, and the same history."""
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert np.array_equal(a["model"][key], b["model"][key]), key
    for index, state in a["optimizer"]["state"].items():
        for name, value in state.items():
            assert np.array_equal(value, b["optimizer"]["state"][index][name]), (index, name)
    assert a["progress"]["step"] == b["progress"]["step"] == 20
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in a["history"]["records"]]
    assert strip == [{k: v for k, v in r.items() if k != "time_s"}
                     for r in b["history"]["records"]]


@pytest.mark.parametrize("stop_at", [7, 10], ids=["mid-epoch", "epoch-end"])
def test_max_steps_then_resume_equals_a_straight_run(tiny_data, tmp_path, straight_run, stop_at):
    args = ["--data-dir", tiny_data, "--out", tmp_path, *EPOCHS, *TINY]
    first = run_script(*args, "--max-steps", stop_at)
    assert first.returncode == 0, first.stderr
    assert f"stopped (--max-steps {stop_at}) at step {stop_at}" in first.stdout
    assert load_checkpoint(tmp_path / "last.npz")["progress"]["step"] == stop_at
    second = run_script(*args, "--resume")
    assert second.returncode == 0, second.stderr
    assert f"step {stop_at}" in second.stdout  # "resumed from ...: epoch E, step N"
    assert_same_training_state(straight_run, load_checkpoint(tmp_path / "last.npz"))


def test_sigkill_then_resume_equals_a_straight_run(tiny_data, tmp_path, straight_run):
    args = ["--data-dir", tiny_data, "--out", tmp_path, *EPOCHS, *TINY]
    last = tmp_path / "last.npz"
    process = subprocess.Popen(script_command(*args, "--checkpoint-every", "1"), cwd=ROOT,
                               env=script_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not last.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
    finally:
        os.kill(process.pid, signal.SIGKILL)  # a real kill: no handler, no cleanup
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = load_checkpoint(last)["progress"]["step"]
    assert 1 <= killed_at < 20
    resumed = run_script(*args, "--checkpoint-every", "1", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_training_state(straight_run, load_checkpoint(last))
