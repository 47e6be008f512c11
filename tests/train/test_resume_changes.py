"""--resume --allow-changes: the course notes' "save, adjust, continue".

A run stopped after its first epoch is resumed with another learning rate. The test checks that
the change is refused without ``--allow-changes`` (and for settings that may never change), that
with it the optimizer really steps with the new rate (``--lr 0``: not one weight moves), that a
schedule scales the new rate, and that the history (checkpoint and metrics.json) records the
change at the epoch and step where it happened.
"""
import json
import shutil

import numpy as np
import pytest

import minidl

from .helpers import TINY, run_script

# The MLP with plain SGD (no momentum, no schedule): each step moves the weights by lr * grad.
MLP_SGD = ["--model", "mlp", "--optimizer", "sgd", "--epochs", "2", "--no-curves", *TINY]
SGD = [*MLP_SGD, "--lr", "0.05", "--schedule", "none"]


@pytest.fixture(scope="module")
def stopped_run(tiny_data, tmp_path_factory):
    """The SGD run stopped after its first epoch (10 steps): (its --out, its arguments)."""
    out = tmp_path_factory.mktemp("stopped")
    args = ["--data-dir", tiny_data, *SGD]
    result = run_script(*args, "--out", out, "--max-steps", "10")
    assert result.returncode == 0, result.stderr
    return out, args


def test_a_changed_lr_is_refused_without_allow_changes(stopped_run):
    out, args = stopped_run
    result = run_script(*args, "--out", out, "--resume", "--lr", "0.01")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "lr 0.05 != 0.01" in result.stderr and "add --allow-changes" in result.stderr
    # Other settings stay refused, with the flag too.
    result = run_script(*args, "--out", out, "--resume", "--allow-changes", "--batch-size", "8")
    assert result.returncode == 2 and "batch_size 16 != 8" in result.stderr
    assert "only --lr and --weight-decay may change" in result.stderr


def test_the_new_lr_is_used_and_recorded(stopped_run, tmp_path):
    out, args = stopped_run
    copy = shutil.copytree(out, tmp_path / "copy")
    saved = minidl.load(copy / "checkpoint.safetensors")
    result = run_script(*args, "--out", copy, "--resume", "--allow-changes", "--lr", "0")
    assert result.returncode == 0, result.stderr
    assert "changed from epoch 2 (after step 10): lr 0.05 -> 0.0" in result.stdout
    state = minidl.load(copy / "checkpoint.safetensors")
    assert state["progress"]["step"] == 20 and state["settings"]["lr"] == 0.0
    # lr 0 for the 10 steps of epoch 2: every weight is where the checkpoint left it.
    for name, value in saved["model"].items():
        assert np.array_equal(state["model"][name].numpy(), value.numpy()), name
    assert [group["lr"] for group in state["optimizer"]["param_groups"]] == [0.0]
    change = {"epoch": 2, "step": 10, "changes": {"lr": [0.05, 0.0]}}
    assert state["history"]["changes"] == [change]
    metrics = json.loads((copy / "metrics.json").read_text())
    assert metrics["changes"] == [change] and metrics["settings"]["lr"] == 0.0
    assert [record["lr"] for record in metrics["epochs"]] == [0.05, 0.0]


def test_a_schedule_scales_the_new_lr(tiny_data, tmp_path):
    # Cosine over 2 epochs: epoch 2 runs at half the base rate, now the new base rate.
    args = ["--data-dir", tiny_data, "--out", tmp_path, *MLP_SGD, "--schedule", "cosine"]
    assert run_script(*args, "--lr", "0.05", "--max-steps", "10").returncode == 0
    result = run_script(*args, "--lr", "0.2", "--resume", "--allow-changes")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [record["lr"] for record in metrics["epochs"]] == pytest.approx([0.05, 0.1])
    assert metrics["changes"] == [{"epoch": 2, "step": 10, "changes": {"lr": [0.05, 0.2]}}]
