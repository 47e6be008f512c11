"""Hooks: Tensor.register_hook, Module forward (pre-)hooks and full backward hooks -- they fire,
can change what flows, and are removed by their handle. (LayerStats, built on them:
test_layer_stats.py.)"""
import numpy as np
import pytest

import minidl
from minidl import autograd, nn
from minidl.errors import AutogradError
from minidl.nn.hooks import BackwardHookIdentity


# --------------------------------------------------------------------------- tensor hooks
def test_tensor_hook_sees_the_gradient_and_can_replace_it():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g._array.copy()))
    handle = x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * 3 * x._array)  # d/dy of y^2 = 2y
    np.testing.assert_allclose(x.grad._array, 10 * 18 * x._array)  # 3 * 2y * 10
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad._array, [3, 3])


def test_tensor_hook_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(AutogradError, match="does not require grad"):
        minidl.ones(2).register_hook(lambda g: g)


# --------------------------------------------------------------------------- forward hooks
def test_forward_hooks_fire_change_values_and_are_removed():
    layer = nn.Linear(3, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = layer(minidl.ones(4, 3))
    np.testing.assert_allclose(out._array, np.broadcast_to(layer.bias._array + 1, (4, 2)))
    assert calls == [(4, 2)]
    pre.remove()
    post.remove()
    x = minidl.ones(4, 3)
    expected = x._array @ layer.weight._array.T + layer.bias._array
    np.testing.assert_allclose(layer(x)._array, expected, rtol=1e-6)
    assert calls == [(4, 2)]


# --------------------------------------------------------------------------- backward hooks
def test_full_backward_hook_gets_the_gradients_of_inputs_and_outputs():
    minidl.manual_seed(0)
    layer = nn.Linear(3, 2)
    x = minidl.randn(4, 3, requires_grad=True)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((m, gi, go)))
    out = layer(x)
    out.retain_grad()
    (out ** 2).sum().backward()
    (module, grad_input, grad_output), = calls
    assert module is layer and len(grad_input) == 1 and len(grad_output) == 1
    np.testing.assert_allclose(grad_input[0]._array, x.grad._array)
    np.testing.assert_allclose(grad_output[0]._array, 2 * out._array, rtol=1e-6)


def test_full_backward_hook_can_replace_grad_input_and_is_removed_by_its_handle():
    layer = nn.Linear(3, 2)
    x = minidl.ones(4, 3, requires_grad=True)
    handle = layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad._array, np.full((4, 3), 7.0))
    handle.remove()
    x.grad = None
    out = layer(x)
    with autograd.trace() as t:
        out.sum().backward()
    assert "BackwardHookIdentity" not in {s.op for s in t}  # no trace of the hook is left
    np.testing.assert_allclose(x.grad._array, np.broadcast_to(layer.weight._array.sum(0), (4, 3)),
                               rtol=1e-6)


def test_full_backward_hook_when_no_input_needs_a_gradient():
    layer = nn.Linear(3, 2)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    layer(minidl.ones(1, 3)).sum().backward()
    (grad_input, grad_output), = calls
    assert grad_input == (None,)
    np.testing.assert_allclose(grad_output[0]._array, [[1.0, 1.0]])


def test_full_backward_hook_is_quiet_without_a_graph_and_fires_per_backward():
    layer = nn.Linear(2, 2)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    x = minidl.ones(1, 2, requires_grad=True)
    with minidl.no_grad():
        layer(x)
    loss = layer(x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert calls == [1, 1]


class TwoInputs(nn.Module):
    def forward(self, a, b, scale=1.0):
        return a * b * scale


def test_full_backward_hook_of_a_module_with_two_inputs():
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    b = minidl.tensor([3.0, 4.0], requires_grad=True)
    module = TwoInputs()
    calls = []
    module.register_full_backward_hook(lambda m, gi, go: calls.append(gi))
    module(a, b, 2.0).sum().backward()
    grad_a, grad_b, grad_scale = calls[0]  # one per positional input, as in PyTorch
    assert grad_scale is None
    np.testing.assert_allclose(grad_a._array, 2 * b._array)
    np.testing.assert_allclose(grad_b._array, 2 * a._array)
    # Changing a gradient that has already moved on is refused, not silently ignored.
    module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0, gi[1] * 0, None))
    with pytest.raises(AutogradError, match="already passed on"):
        module(a, b, 2.0).sum().backward()


def test_identity_node_is_an_identity():
    x = minidl.tensor([1.0, -2.0], requires_grad=True)
    y = BackwardHookIdentity.apply(x)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y._array, x._array)
    np.testing.assert_allclose(x.grad._array, 2 * x._array)
