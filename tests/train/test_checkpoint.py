"""restore(): a checkpoint's parts go back into their components, and every mismatch is a
CheckpointError naming the file and the component. (The file format itself is tested in
tests/test_serialization*.py.)"""
import numpy as np
import pytest

import minidl
from minidl import nn, optim
from minidl.train import CheckpointError, EarlyStopping, restore


@pytest.fixture
def saved(tmp_path):
    minidl.manual_seed(0)
    path = tmp_path / "m.safetensors"
    model = nn.Linear(3, 2)
    minidl.save({"model": model.state_dict(),
                 "optimizer": optim.Adam(model.parameters()).state_dict(),
                 "early_stopping": EarlyStopping(patience=2).state_dict()}, path)
    return path, minidl.load(path)


def test_restore_puts_every_part_back(saved):
    path, state = saved
    model = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=2)
    restore(path, state, model=model, optimizer=optim.Adam(model.parameters()),
            early_stopping=stopper, scheduler=None)  # None components are skipped
    assert np.array_equal(model.weight.detach().numpy(), state["model"]["weight"].numpy())


def test_restore_reports_mismatches_with_the_file_name(saved):
    path, state = saved
    with pytest.raises(CheckpointError, match=r"m\.safetensors.*does not fit this model.*size "
                                              "mismatch"):
        restore(path, state, model=nn.Linear(4, 2))
    with pytest.raises(CheckpointError, match="missing key.*'0.weight'.*unexpected key"):
        restore(path, state, model=nn.Sequential(nn.Linear(3, 2)))
    with pytest.raises(CheckpointError, match="holds no scheduler state"):
        restore(path, state, scheduler=optim.lr_scheduler.StepLR(
            optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1), step_size=1))
    with pytest.raises(CheckpointError, match="does not fit this early_stopping"):
        restore(path, state, early_stopping=EarlyStopping(mode="max"))


def test_restore_refuses_a_file_that_holds_no_dict(tmp_path):
    minidl.save([1, 2], tmp_path / "list.safetensors")
    with pytest.raises(CheckpointError, match="holds a list, not a dict of states"):
        restore(tmp_path / "list.safetensors", minidl.load(tmp_path / "list.safetensors"),
                model=nn.Linear(3, 2))
