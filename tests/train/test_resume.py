"""--resume continues exactly: stopping and resuming gives the same bits as a straight run,
because the checkpoint holds every piece of state a step depends on. (Killing the run at random
instants instead of stopping it is test_kill_anywhere.py.)

The tiny CNN has everything that could go wrong: BatchNorm buffers, dropout (random masks), Adam
state, a cosine schedule and a shuffled loader whose position must be restored mid-epoch.
"""
import pytest

import minidl

from .helpers import TINY, assert_same_run, run_script

EPOCHS = ["--epochs", "2", "--no-curves"]  # 2 x 10 steps


@pytest.fixture(scope="module")
def straight_run(tiny_data, tmp_path_factory):
    """The final checkpoint of 20 steps trained without a break."""
    out = tmp_path_factory.mktemp("straight")
    result = run_script("--data-dir", tiny_data, "--out", out, *EPOCHS, *TINY)
    assert result.returncode == 0, result.stderr
    return minidl.load(out / "checkpoint.safetensors")


@pytest.mark.parametrize("stop_at", [7, 10], ids=["mid-epoch", "epoch-end"])
def test_max_steps_then_resume_equals_a_straight_run(tiny_data, tmp_path, straight_run, stop_at):
    args = ["--data-dir", tiny_data, "--out", tmp_path, *EPOCHS, *TINY]
    first = run_script(*args, "--max-steps", stop_at)
    assert first.returncode == 0, first.stderr
    assert f"stopped (--max-steps {stop_at}) at step {stop_at}" in first.stdout
    assert minidl.load(tmp_path / "checkpoint.safetensors")["progress"]["step"] == stop_at
    second = run_script(*args, "--resume")
    assert second.returncode == 0, second.stderr
    assert f"step {stop_at}" in second.stdout  # "resumed from ...: epoch E, step N"
    assert_same_run(straight_run, minidl.load(tmp_path / "checkpoint.safetensors"), steps=20)
