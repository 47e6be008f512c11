"""minidl and PyTorch read each other's state dicts through safetensors files: the same model,
built in both, gives the same outputs after the weights crossed over. Skips without torch."""
import numpy as np
import pytest

import minidl
from minidl import nn

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def minidl_model():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 8), nn.ReLU(), nn.Linear(8, 3))


def torch_model():
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(4 * 4 * 4, 8), tnn.ReLU(), tnn.Linear(8, 3))


def images():
    return np.random.default_rng(0).standard_normal((5, 1, 8, 8)).astype(np.float32)


def minidl_outputs(model):
    model.eval()
    with minidl.no_grad():
        return model(minidl.tensor(images())).numpy()


def torch_outputs(model):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(images())).numpy()


def test_a_pytorch_state_dict_loads_into_the_same_minidl_model(tmp_path):
    torch.manual_seed(0)
    source = torch_model()
    source.train()
    with torch.no_grad():  # non-trivial BatchNorm running statistics and batch count
        for _ in range(3):
            source(torch.randn(16, 1, 8, 8) * 2 + 1)
    safetensors_torch.save_file(source.state_dict(), tmp_path / "torch.safetensors")
    model = minidl_model()
    state = minidl.load(tmp_path / "torch.safetensors")
    assert state["1.num_batches_tracked"].item() == 3
    model.load_state_dict(state)
    np.testing.assert_allclose(minidl_outputs(model), torch_outputs(source), rtol=1e-5,
                               atol=1e-6)


def test_a_minidl_state_dict_loads_into_the_same_pytorch_model(tmp_path):
    minidl.manual_seed(0)
    source = minidl_model()
    source.train()
    with minidl.no_grad():
        for _ in range(3):
            source(minidl.randn(16, 1, 8, 8) * 2 + 1)
    minidl.save(source.state_dict(), tmp_path / "minidl.safetensors")
    model = torch_model()
    model.load_state_dict(safetensors_torch.load_file(tmp_path / "minidl.safetensors"))
    assert model[1].num_batches_tracked.item() == 3
    np.testing.assert_allclose(torch_outputs(model), minidl_outputs(source), rtol=1e-5,
                               atol=1e-6)
