"""EarlyStopping, History, ProgressBar and the RNG-state helpers of minidl.train."""
import json
import random
import sys

import numpy as np
import pytest

import minidl
from minidl.train import EarlyStopping, History, ProgressBar, get_rng_state, set_rng_state


def test_early_stopping_counts_epochs_without_improvement():
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    decisions = [stopper.step(loss, epoch=i + 1) for i, loss in enumerate([1.0, 0.8, 0.795, 0.9])]
    assert decisions == [False, False, False, True]
    assert stopper.best == 0.8 and stopper.best_epoch == 2 and not stopper.improved


def test_early_stopping_without_patience_only_tracks_the_best():
    stopper = EarlyStopping(mode="max")
    assert not any(stopper.step(acc) for acc in [0.5, 0.4, 0.3, 0.2, 0.1])
    assert stopper.best == 0.5


def test_early_stopping_state_round_trips_and_keeps_new_settings():
    stopper = EarlyStopping(patience=3)
    stopper.step(1.0, epoch=1)
    stopper.step(2.0, epoch=2)
    resumed = EarlyStopping(patience=5)
    resumed.load_state_dict(json.loads(json.dumps(stopper.state_dict())))
    assert (resumed.best, resumed.best_epoch, resumed.bad_epochs) == (1.0, 1, 1)
    assert resumed.patience == 5
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="max").load_state_dict(stopper.state_dict())


@pytest.mark.parametrize("kwargs", [{"patience": 0}, {"patience": 1.5}, {"min_delta": -1},
                                    {"mode": "lowest"}])
def test_early_stopping_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def make_history():
    history = History()
    history.append(epoch=1, train_loss=1.0, train_acc=0.5, val_loss=0.9, val_acc=0.6, lr=0.1)
    history.append(epoch=2, train_loss=0.5, train_acc=0.8, val_loss=0.6, val_acc=0.7, lr=0.05)
    return history


def test_history_saves_json_and_round_trips(tmp_path):
    history = make_history()
    history.save_json(tmp_path / "metrics.json", test_acc=0.71)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["test_acc"] == 0.71 and [r["epoch"] for r in saved["epochs"]] == [1, 2]
    copy = History()
    copy.load_state_dict(history.state_dict())
    assert copy.records == history.records and len(copy) == 2


def test_history_records_changed_settings(tmp_path):
    history = make_history()
    assert "changes" not in json.loads(history.save_json(tmp_path / "a.json").read_text())
    history.record_change(epoch=3, step=20, lr=(0.05, 0.01))
    change = {"epoch": 3, "step": 20, "changes": {"lr": [0.05, 0.01]}}
    assert json.loads(history.save_json(tmp_path / "b.json").read_text())["changes"] == [change]
    copy = History()
    copy.load_state_dict(history.state_dict())
    assert copy.changes == [change]
    copy.load_state_dict({"records": history.records})  # a checkpoint from before changes
    assert copy.changes == [] and len(copy) == 2


def test_history_plots_curves_when_matplotlib_is_there(tmp_path):
    pytest.importorskip("matplotlib")
    path = make_history().plot(tmp_path / "curves.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_history_plot_without_matplotlib_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now fails
    assert make_history().plot(tmp_path / "curves.png") is None
    assert not (tmp_path / "curves.png").exists()


def test_progress_bar_falls_back_to_plain_lines(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    bar = ProgressBar(total=4, desc="epoch 1/1", initial=1, interval=0.0)
    bar.update(loss="0.5000")
    bar.close()
    assert "epoch 1/1 [2/4] loss=0.5000" in capsys.readouterr().err


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    bar = ProgressBar(total=3, desc="epoch 2/5")
    for _ in range(3):
        bar.update(loss="0.1")
    bar.close()
    assert bar.count == 3


def test_rng_state_round_trip_restores_every_stream():
    minidl.manual_seed(3)
    state = json.loads(json.dumps(get_rng_state(["cpu"]), default=lambda a: a.tolist()))
    first = (minidl.rand(4).numpy(), np.random.rand(2), random.random())
    set_rng_state(state)
    again = (minidl.rand(4).numpy(), np.random.rand(2), random.random())
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert first[2] == again[2]
