"""Module: registration, traversal, modes, devices and dtypes, state_dict, repr, containers."""
import copy

import fake_device
import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.errors import DeviceError, DTypeError, OutOfRangeError
from minidl.nn.utils import count_parameters, parameters_to_vector, vector_to_parameters
from minidl.optim import SGD


class Net(nn.Module):
    """Own parameter, a persistent and a non-persistent buffer, and two children."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(minidl.ones(3))
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.register_buffer("steps", minidl.zeros(1, dtype=minidl.int64))
        self.register_buffer("cache", minidl.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)) * self.scale)


@pytest.fixture
def fake():
    name = fake_device.register()
    yield name
    fake_device.unregister()


def test_assignment_registers_parameters_modules_and_buffers():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["fc1", "act", "fc2"]
    assert list(net._buffers) == ["steps", "cache"]
    assert net.fc1 is net._modules["fc1"] and net.steps is net._buffers["steps"]
    assert "fc1" not in net.__dict__  # found through __getattr__, not stored twice
    net.note = minidl.zeros(2)  # a plain Tensor is an ordinary attribute, not a parameter
    assert "note" not in net._parameters and "note" not in net._buffers


def test_named_parameters_order_and_buffers_are_separate():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [name for name, _ in net.named_buffers()] == ["steps", "cache"]
    assert [name for name, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [name for name, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    assert not any(b.requires_grad for b in net.buffers())


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3  # Sequential, Linear, Tanh
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert count_parameters(tied) == 4 + 2 + 2


def test_reassigning_and_deleting():
    net = Net()
    net.fc1.bias = None
    assert net.fc1.bias is None and "fc1.bias" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="parameter 'weight'"):
        net.fc1.weight = minidl.zeros(3, 4)
    net.act = nn.Tanh()
    assert isinstance(net._modules["act"], nn.Tanh)
    net.scale = nn.Linear(1, 1)  # a name moves from parameters to modules
    assert "scale" not in net._parameters and "scale" in net._modules
    del net.fc2
    assert "fc2" not in net._modules
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc2'"):
        _ = net.fc2
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("act", minidl.zeros(1))


def test_assigning_before_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgot()


def test_train_eval_propagate_to_every_submodule():
    net = nn.Sequential(Net(), nn.Dropout(0.5))
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    x = minidl.randn(4, 3)
    assert net[1](x) is x  # dropout is the identity in eval mode
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")


def test_zero_grad():
    net = Net()
    net(minidl.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        assert p.grad.shape == p.shape and p.grad.dtype == p.dtype and not p.grad._array.any()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_restores_identical_outputs():
    minidl.manual_seed(0)
    a, b = Net(), Net()
    x = minidl.randn(6, 4)
    assert not np.allclose(a(x)._array, b(x)._array)
    state = a.state_dict()
    assert list(state) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(not t.requires_grad for t in state.values())
    assert np.shares_memory(state["fc1.weight"]._array, a.fc1.weight._array)
    weight = b.fc1.weight
    result = b.load_state_dict(state)
    assert result == nn.IncompatibleKeys([], [])
    assert b.fc1.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(a(x)._array, b(x)._array)


def test_load_state_dict_reports_every_problem_by_name_and_changes_nothing():
    net = Net()
    before = {k: v._array.copy() for k, v in net.state_dict().items()}
    state = dict(Net().state_dict())
    del state["fc2.bias"]
    state["fc3.weight"] = minidl.zeros(2, 2)
    state["fc1.weight"] = minidl.zeros(5, 4)
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert "Net" in message and "missing key(s): 'fc2.bias'" in message
    assert "unexpected key(s): 'fc3.weight'" in message
    assert "size mismatch for 'fc1.weight'" in message and "(5, 4)" in message
    assert "(3, 4)" in message
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value._array, before[key])
    # strict=False reports missing/unexpected keys instead of raising, but not shape mismatches
    with pytest.raises(nn.StateDictError, match="size mismatch for 'fc1.weight'"):
        net.load_state_dict(state, strict=False)
    del state["fc1.weight"]
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["fc1.weight", "fc2.bias"] and unexpected == ["fc3.weight"]
    np.testing.assert_array_equal(net.fc2.weight._array, state["fc2.weight"]._array)


def test_load_state_dict_accepts_numpy_and_casts_to_the_models_dtype():
    layer = nn.Linear(2, 3)
    state = {"weight": np.arange(6.0).reshape(3, 2), "bias": np.zeros(3)}
    layer.load_state_dict(state)
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight._array, state["weight"])
    with pytest.raises(nn.StateDictError, match="'bias': expected a Tensor or an array"):
        layer.load_state_dict({"weight": state["weight"], "bias": "zeros"})


def test_to_cpu_and_dtype_keep_parameter_objects():
    net = Net()
    params = list(net.parameters())
    optimizer = SGD(net.parameters(), lr=0.1)  # built before .to(): must keep working
    assert net.to("cpu") is net
    assert net.to(minidl.float64) is net
    assert all(p is q for p, q in zip(net.parameters(), params))
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.steps.dtype == np.int64  # integer buffers keep their dtype
    assert net.cache.dtype == np.float64
    before = net.fc1.weight._array.copy()
    net(minidl.randn(2, 4, dtype=minidl.float64)).sum().backward()
    optimizer.step()
    assert not np.array_equal(before, net.fc1.weight._array)
    with pytest.raises(DTypeError, match="floating-point"):
        net.to(minidl.int64)


def test_to_cuda_without_a_gpu_is_a_device_error():
    try:
        minidl.backend.parse_device("cuda")
    except DeviceError:
        with pytest.raises(DeviceError, match="cuda"):
            Net().to("cuda")
    else:
        pytest.skip("a GPU is present")


def test_to_another_device_moves_parameters_buffers_and_grads(fake):
    net = Net()
    net(minidl.randn(2, 4)).sum().backward()
    weight = net.fc1.weight
    net.to(fake)
    assert net.fc1.weight is weight
    assert all(t.device == fake for t in list(net.parameters()) + list(net.buffers()))
    assert all(p.grad.device == fake for p in net.parameters())
    net.zero_grad()
    x = minidl.randn(3, 4, device=fake)
    loss = nn.functional.cross_entropy(net(x), minidl.tensor([0, 1, 1], device=fake))
    loss.backward()
    assert weight.grad.device == fake
    with pytest.raises(DeviceError, match="cross_entropy: expected all tensors on one device"):
        nn.functional.cross_entropy(net(x), minidl.tensor([0, 1, 1]))  # target left on cpu
    net.to("cpu")
    assert weight.device == "cpu" and weight.grad.device == "cpu"


def test_repr_of_a_small_model():
    model = nn.Sequential(nn.Linear(784, 10, bias=False), nn.LeakyReLU(0.2),
                          nn.Sequential(nn.Dropout(0.1), nn.Softmax(dim=1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=10, bias=False)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): Softmax(dim=1)\n"
        "  )\n"
        ")")
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_sequential_indexing_and_ordered_dict():
    from collections import OrderedDict
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    x = minidl.randn(4, 2)
    np.testing.assert_array_equal(seq(x)._array, c(b(a(x)))._array)
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_children()] == ["fc", "act"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4
    with pytest.raises(OutOfRangeError, match="index 4 is out of range for 4 modules"):
        seq[4]


def test_module_list_and_module_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.insert(0, nn.Tanh())
    assert isinstance(layers[0], nn.Tanh) and isinstance(layers[-1], nn.ReLU)
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and len(layers) == 4
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    with pytest.raises(NotImplementedError, match="ModuleList: forward"):
        layers(minidl.zeros(1))
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert list(heads) == ["a", "b"] and "a" in heads and heads["b"].out_features == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight",
                                                        "b.bias"]


def test_apply_hooks_get_submodule_and_deepcopy():
    net = Net()
    net.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert not net.fc1.bias._array.any() and not net.fc2.bias._array.any()
    assert net.get_submodule("fc2") is net.fc2
    calls = []
    handle = net.fc1.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    pre = net.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = net(minidl.randn(2, 4))
    assert calls == [(2, 3)]
    assert out.shape == (2, 2) and not out._array.any()  # zero input, zero biases: zero output
    handle.remove()
    pre.remove()
    net(minidl.randn(2, 4))
    assert len(calls) == 1
    twin = copy.deepcopy(net)
    assert twin.fc1.weight is not net.fc1.weight
    np.testing.assert_array_equal(twin.fc1.weight._array, net.fc1.weight._array)


def test_parameter_shares_data_and_utils():
    t = minidl.randn(2, 3)
    p = nn.Parameter(t)
    assert p._array is t._array and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    net = Net()
    vec = parameters_to_vector(net.parameters())
    assert vec.shape == (count_parameters(net),) == (3 + 12 + 3 + 6 + 2,)
    vector_to_parameters(minidl.zeros(vec.shape[0]), net.parameters())
    assert not any(p._array.any() for p in net.parameters())
    net.fc1.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 3 + 6 + 2
