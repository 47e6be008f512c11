"""Spellings that well-known PyTorch programs use and minidl lacked (issue 16), each found by
running such a program with its imports changed, and checked here against PyTorch's behaviour.

- ``torch.inference_mode()``: evaluation loops (torchvision's reference scripts, many
  tutorials) use it where older code writes ``torch.no_grad()``.
"""
import pytest

import minidl

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def recorded(m, mode_block) -> list:
    """Whether a result records a graph: inside the block, and after it."""
    w = m.ones(2, requires_grad=True)
    with mode_block():
        inside = (w * 2).requires_grad
    return [inside, (w * 2).requires_grad]


def decorated_records(m) -> bool:
    w = m.ones(2, requires_grad=True)

    @m.inference_mode()
    def evaluate(x):
        return x * 2

    return evaluate(w).requires_grad


def nested_records(m) -> list:
    """``inference_mode(False)`` records a graph, inside ``no_grad`` too."""
    w = m.ones(2, requires_grad=True)
    with m.no_grad(), m.inference_mode(False):
        off = (w * 2).requires_grad
    with m.enable_grad(), m.inference_mode(False):
        on = (w * 2).requires_grad
    return [off, on]


def test_inference_mode_records_no_graph_inside_its_block_only():
    assert recorded(minidl, minidl.inference_mode) == [False, True]
    assert recorded(minidl, lambda: minidl.inference_mode(False)) == [True, True]
    assert decorated_records(minidl) is False
    assert minidl.is_grad_enabled()
    assert nested_records(minidl) == [True, True]
    assert minidl.autograd.inference_mode is minidl.inference_mode


def test_a_result_of_inference_mode_can_be_used_later():
    """The deliberate difference: PyTorch refuses to record a graph through an inference tensor;
    minidl's results are ordinary tensors (the docstring says so)."""
    w = minidl.ones(2, requires_grad=True)
    with minidl.inference_mode():
        features = w * 3
    loss = (features * w).sum()
    loss.backward()
    assert w.grad.tolist() == [3.0, 3.0]


@needs_torch
def test_inference_mode_agrees_with_pytorch():
    assert recorded(minidl, minidl.inference_mode) == recorded(torch, torch.inference_mode)
    assert recorded(minidl, lambda: minidl.inference_mode(False)) == \
        recorded(torch, lambda: torch.inference_mode(False))
    assert decorated_records(minidl) == decorated_records(torch)
    assert nested_records(minidl) == nested_records(torch)
