"""examples/train_mnist.py end to end on a tiny generated dataset: outputs, messages, exit codes.

Each script run is a subprocess (what a user sees, tracebacks included), so the tests share runs
where they can: ``finished_run`` trains once and several tests read or copy its directory.
"""
import json
import runpy
import shutil
import sys

import numpy as np
import pytest

from minidl.train import load_checkpoint

from .helpers import FILES, SCRIPT, TINY, run_script


@pytest.fixture(scope="module")
def finished_run(tiny_data, tmp_path_factory):
    """One epoch of the tiny CNN on 64 images: (the completed process, its --out directory,
    its arguments but --out)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    args = ["--data-dir", tiny_data, "--epochs", "1", "--limit", "64", *TINY]
    result = run_script(*args, "--out", out)
    assert result.returncode == 0, result.stderr
    return result, out, args


def test_one_epoch_writes_metrics_checkpoints_and_curves(finished_run):
    result, out, _ = finished_run
    assert "epoch   1/1  train loss" in result.stdout
    assert "test accuracy" in result.stdout and str(out) in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [record["epoch"] for record in metrics["epochs"]] == [1]
    assert 0 <= metrics["test_acc"] <= 1 and metrics["settings"]["limit"] == 64
    for name in ("last.npz", "best.npz"):
        state = load_checkpoint(out / name)
        assert state["progress"]["step"] == 4  # 64 images in batches of 16
        assert "features.1.running_mean" in state["model"]  # BatchNorm buffers are saved
    if (out / "curves.png").exists():
        assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    else:
        assert "pip install matplotlib" in result.stdout


def test_resuming_a_finished_run_only_evaluates(finished_run, tmp_path):
    _, out, args = finished_run
    copy = shutil.copytree(out, tmp_path / "copy")
    before = load_checkpoint(copy / "last.npz")["model"]
    result = run_script(*args, "--out", copy, "--resume")
    assert result.returncode == 0 and "is complete" in result.stdout
    assert "test accuracy" in result.stdout
    after = load_checkpoint(copy / "last.npz")["model"]
    assert all(np.array_equal(before[key], after[key]) for key in before)


def test_resume_refuses_other_settings_and_broken_checkpoints(finished_run, tmp_path):
    _, out, args = finished_run
    result = run_script(*args, "--out", out, "--batch-size", "8", "--resume")
    assert result.returncode == 2 and "batch_size 16 != 8" in result.stderr
    copy = shutil.copytree(out, tmp_path / "copy")
    last = copy / "last.npz"
    last.write_bytes(last.read_bytes()[:1000])
    result = run_script(*args, "--out", copy, "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(last) in result.stderr and "truncated or corrupt" in result.stderr
    result = run_script(*args, "--out", tmp_path / "new", "--resume")
    assert result.returncode == 2
    assert f"{tmp_path / 'new' / 'last.npz'}: no such file" in result.stderr


def test_mlp_with_sgd_momentum_and_step_schedule(tiny_data, tmp_path):
    result = run_script("--data-dir", tiny_data, "--out", tmp_path, "--epochs", "2",
                        "--model", "mlp", "--optimizer", "momentum", "--schedule", "step",
                        "--limit", "32", *TINY)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # StepLR: x0.1 after each third of the epochs (here, after every epoch).
    assert [record["lr"] for record in metrics["epochs"]] == pytest.approx([0.05, 0.005])


def test_missing_files_say_which_files_to_put_where(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_script("--data-dir", empty, "--out", tmp_path / "run")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(empty) in result.stderr
    for name in FILES:
        assert name in result.stderr


def test_a_corrupt_data_file_is_named(tiny_data, tmp_path):
    broken = shutil.copytree(tiny_data, tmp_path / "broken")
    (broken / FILES[1]).write_bytes((tiny_data / FILES[1]).read_bytes()[:20])
    result = run_script("--data-dir", broken, "--out", tmp_path / "run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert FILES[1] in result.stderr and "gzip" in result.stderr


def test_a_non_finite_loss_stops_with_the_step_and_a_hint(tiny_data, tmp_path):
    result = run_script("--data-dir", tiny_data, "--out", tmp_path, "--epochs", "3",
                        "--model", "mlp", "--optimizer", "sgd", "--lr", "1e20", *TINY)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the loss is nan" in result.stderr and "step " in result.stderr
    assert "lower --lr" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--epochs", "-1"], "--epochs: must be a positive integer"),
    (["--epochs", "two"], "--epochs: must be a positive integer, got 'two'"),
    (["--optimizer", "lbfgs"], "--optimizer: invalid choice"),
    (["--lr", "-0.1"], "--lr: must be a number >= 0"),
    (["--model", "resnet"], "--model: invalid choice"),
    (["--seed", "-3"], "--seed: must be >= 0"),
])
def test_bad_arguments_are_argparse_errors(args, message, monkeypatch, capsys):
    # In-process (argparse stops before any work), to spare a Python start per case.
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and message in err


def test_help_lists_every_option(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--schedule",
                   "--weight-decay", "--seed", "--device", "--out", "--resume", "--patience",
                   "--limit", "--data-dir", "--dataset", "--checkpoint-every", "--max-steps"):
        assert option in text
