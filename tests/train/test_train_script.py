"""examples/train_mnist.py end to end on a tiny generated dataset: outputs, messages, exit codes.

Each script run is a subprocess (what a user sees, tracebacks included), so the tests share runs
where they can: ``finished_run`` trains once and several tests read or copy its directory.
"""
import json
import runpy
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

import minidl

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
    state = minidl.load(out / "checkpoint.safetensors")
    assert state["progress"]["step"] == 4 and state["progress"]["finished"]  # 64 images / 16
    assert "features.1.running_mean" in state["model"]  # BatchNorm buffers are saved
    # best.safetensors: the best epoch's weights alone, a plain state dict that PyTorch's
    # safetensors reads under the same names.
    best = minidl.load(out / "best.safetensors")
    assert list(best) == list(state["best_model"]) == list(state["model"])
    assert all(np.array_equal(best[k].numpy(), state["best_model"][k].numpy()) for k in best)
    assert sorted(load_file(out / "best.safetensors")) == sorted(best)
    if (out / "curves.png").exists():
        assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    else:
        assert "pip install matplotlib" in result.stdout


def test_resuming_a_finished_run_only_evaluates(finished_run, tmp_path):
    _, out, args = finished_run
    copy = shutil.copytree(out, tmp_path / "copy")
    (copy / "best.safetensors").unlink()  # written again from the checkpoint
    before = (copy / "checkpoint.safetensors").read_bytes()
    result = run_script(*args, "--out", copy, "--resume", "--no-curves")
    assert result.returncode == 0 and "is complete" in result.stdout
    assert (finished_run[0].stdout.split("test accuracy")[1].split("|")[0] ==
            result.stdout.split("test accuracy")[1].split("|")[0])
    assert (copy / "checkpoint.safetensors").read_bytes() == before
    assert (copy / "best.safetensors").read_bytes() == (out / "best.safetensors").read_bytes()


def test_resume_refuses_other_settings_and_broken_checkpoints(finished_run, tmp_path):
    _, out, args = finished_run
    result = run_script(*args, "--out", out, "--batch-size", "8", "--resume")
    assert result.returncode == 2 and "batch_size 16 != 8" in result.stderr
    copy = shutil.copytree(out, tmp_path / "copy")
    checkpoint = copy / "checkpoint.safetensors"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    result = run_script(*args, "--out", copy, "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(checkpoint) in result.stderr and "truncated or corrupt" in result.stderr
    minidl.save({"model": {}}, checkpoint)  # a minidl file, but not this script's
    result = run_script(*args, "--out", copy, "--resume")
    assert result.returncode == 2 and "not a checkpoint of this script" in result.stderr
    good = minidl.load(out / "checkpoint.safetensors")
    for damage, message in [({"progress": {}}, "is damaged (KeyError: 'epoch')"),
                            ({"best_model": {}}, "does not fit this model")]:
        minidl.save({**good, **damage}, checkpoint)
        result = run_script(*args, "--out", copy, "--resume")
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    result = run_script(*args, "--out", tmp_path / "new", "--resume")
    assert result.returncode == 2
    assert f"{tmp_path / 'new' / 'checkpoint.safetensors'}: no such file" in result.stderr


def test_mlp_with_sgd_momentum_and_step_schedule(tiny_data, tmp_path):
    result = run_script("--data-dir", tiny_data, "--out", tmp_path, "--epochs", "2",
                        "--model", "mlp", "--optimizer", "momentum", "--schedule", "step",
                        "--limit", "32", "--no-curves", *TINY)
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
    (["--allow-changes"], "--allow-changes: only with --resume"),
])
def test_bad_arguments_are_argparse_errors(args, message, monkeypatch, capsys):
    # In-process (argparse stops before any work), to spare a Python start per case.
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # as `python SCRIPT` has it
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and message in err


def test_help_lists_every_option(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # as `python SCRIPT` has it
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--schedule",
                   "--weight-decay", "--seed", "--device", "--out", "--resume", "--patience",
                   "--limit", "--data-dir", "--dataset", "--checkpoint-every", "--max-steps",
                   "--quick", "--no-curves", "--no-progress", "--allow-changes"):
        assert option in text


def test_quick_is_one_short_epoch(tiny_data, tmp_path):
    result = run_script("--quick", "--data-dir", tiny_data, "--out", tmp_path, *TINY)
    assert result.returncode == 0, result.stderr
    assert "160 training, 40 validation, 50 test images" in result.stdout  # all of tiny's
    assert "epoch   1/1  train loss" in result.stdout and "test accuracy" in result.stdout
    assert json.loads((tmp_path / "metrics.json").read_text())["settings"]["quick"] is True


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_quick_on_fashion_mnist_takes_a_few_seconds(tmp_path):
    result = run_script("--quick", "--dataset", "fashion-mnist", "--out", tmp_path,
                        "--no-progress", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "512 training, 512 validation, 1000 test images" in result.stdout
    accuracy = float(result.stdout.split("test accuracy ")[1].split("%")[0])
    assert 20 < accuracy <= 100  # 4 steps already beat chance (10 %)


def run_in_process(monkeypatch, capsys, *args):
    """Run the script here (for failures that come before any work): (exit code, stderr)."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # as `python SCRIPT` has it
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    return exit_info.value.code, capsys.readouterr().err


def test_unusable_settings_and_outputs_exit_2_with_one_line(tmp_path, monkeypatch, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    blocked = tmp_path / "blocked"
    (blocked / "metrics.json").mkdir(parents=True)
    cases = [
        (["--model", "mlp", "--width", "1"], "--width 1: the MLP's second hidden layer has"),
        (["--out", a_file / "run"], f"--out {a_file / 'run'}: cannot create this directory"),
        (["--out", a_file], f"--out {a_file}: a file of that name is in the way"),
        (["--out", blocked], f"{blocked / 'metrics.json'} is a directory, where this run "
                             "writes a file"),
    ]
    for args, message in cases:
        code, err = run_in_process(monkeypatch, capsys, "--data-dir", tmp_path, *args)
        assert code == 2, args
        assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
