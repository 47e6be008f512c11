"""Embedding and F.embedding: PyTorch's values and gradients (repeated indices add up, the
padding row gets none), max_norm renormalization, from_pretrained, the scatter-add on the
stand-in device, and bad indices.

Read next: ``tests/test_masking_sampling.py``.
"""
import numpy as np
import pytest
from fake_device import fake

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.errors import ConfigError, DTypeError, OutOfRangeError

INDICES = np.array([[1, 2, 3, 2], [2, 2, 9, 0]])


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("max_norm", [None, 1.0])
def test_matches_pytorch(padding_idx, max_norm):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(10, 4, padding_idx=padding_idx, max_norm=max_norm).double()
    ours = nn.Embedding(10, 4, padding_idx=padding_idx, max_norm=max_norm).double()
    ours.load_state_dict({"weight": minidl.tensor(theirs.weight.detach().numpy())})
    y = ours(minidl.tensor(INDICES))
    y_torch = theirs(torch.tensor(INDICES))
    gy = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(minidl.tensor(gy))
    y_torch.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), y_torch.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-12)  # max_norm renormalized the same rows in place


def test_repeated_indices_accumulate_and_padding_gets_nothing():
    emb = nn.Embedding(4, 2, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[0], 0)
    emb(minidl.tensor([[1, 1, 0], [1, 3, 0]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_the_stand_in_device_scatter_adds_like_the_cpu(fake):
    weight = minidl.randn(5, 3, dtype=minidl.float64)
    indices = np.array([4, 0, 4, 4, 1])
    grads = []
    for device in ("cpu", fake):
        w = weight.to(device).detach().requires_grad_()
        out = F.embedding(minidl.tensor(indices, device=device), w)
        out.backward(minidl.ones(5, 3, dtype=minidl.float64, device=device))
        assert w.grad.device == minidl.backend.parse_device(device)
        grads.append(minidl.backend.to_host(w.grad._array))
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0][:, 0], [1, 1, 0, 0, 3])


def test_from_pretrained_shares_and_freezes():
    table = minidl.randn(3, 2)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight._array is table._array
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_bad_indices_and_arguments_are_clear_errors():
    emb = nn.Embedding(5, 2)
    with pytest.raises(DTypeError, match="integer tensor of indices, got float32"):
        emb(minidl.tensor([0.0, 1.0]))
    with pytest.raises(OutOfRangeError, match=r"\[0, 5\), got values in \[-1, 2\]"):
        emb(minidl.tensor([2, -1]))
    with pytest.raises(OutOfRangeError, match="got values in \\[0, 5\\]"):
        emb(minidl.tensor([0, 5]))
    with pytest.raises(OutOfRangeError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ConfigError, match="embedding_dim"):
        nn.Embedding(5, 0)
