"""RNN, LSTM, GRU and their cells: PyTorch's parameter names and shapes, its state_dict loaded
and the same outputs, final states and gradients (inputs, initial states, every parameter)
over drawn configurations, when PyTorch is installed; and without it: initialization,
unbatched inputs, dropout between layers, truncated backpropagation through time, the halving
split, and bad inputs.

Read next: ``test_attention.py``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn
from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.nn.recurrent_functional import split_steps

LAYERS = ["RNN", "LSTM", "GRU"]
CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def load_from_torch(ours, theirs):
    state = {k: minidl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


def states_of(name, hx):
    """The state tensors of an RNN/GRU (h) or an LSTM ((h, c)) as a list."""
    return list(hx) if name.startswith("LSTM") else [hx]


@st.composite
def layer_configs(draw):
    return dict(name=draw(st.sampled_from(LAYERS)), num_layers=draw(st.integers(1, 2)),
                bidirectional=draw(st.booleans()), batch_first=draw(st.booleans()),
                bias=draw(st.booleans()), length=draw(st.integers(1, 5)),
                batch=draw(st.sampled_from([None, 1, 3])), with_state=draw(st.booleans()),
                nonlinearity=draw(st.sampled_from(["tanh", "relu"])))


@settings(max_examples=30, deadline=None)
@given(config=layer_configs(), seed=st.integers(0, 2**16))
def test_layers_match_pytorch(config, seed):
    """Same state_dict, same inputs: outputs, final states, and the gradients of a weighted sum
    of both with respect to the input, the initial state and every parameter."""
    torch = pytest.importorskip("torch")
    name = config["name"]
    kwargs = dict(num_layers=config["num_layers"], bidirectional=config["bidirectional"],
                  batch_first=config["batch_first"], bias=config["bias"])
    if name == "RNN":
        kwargs["nonlinearity"] = config["nonlinearity"]
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, name)(3, 4, **kwargs).double()
    ours = getattr(nn, name)(3, 4, **kwargs).double()
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(seed)
    length, batch = config["length"], config["batch"]
    shape = (length, 3) if batch is None else (
        (batch, length, 3) if config["batch_first"] else (length, batch, 3))
    x = rng.standard_normal(shape)
    directions = 2 if config["bidirectional"] else 1
    state_shape = (config["num_layers"] * directions,) + (() if batch is None else (batch,)) + (4,)
    n_states = 2 if name == "LSTM" else 1
    h0 = [rng.standard_normal(state_shape) for _ in range(n_states)]
    results = []
    for lib, module in ((minidl, ours), (torch, theirs)):
        xs = [lib.tensor(a, requires_grad=True) for a in [x] + h0]
        hx = None
        if config["with_state"]:
            hx = tuple(xs[1:]) if name == "LSTM" else xs[1]
        out, final = module(xs[0], hx)
        finals = states_of(name, final)
        total = (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(out.shape))).sum()
        for k, s in enumerate(finals):
            total = total + (s * s).sum() * (k + 1)
        total.backward()
        grads = [a.grad for a in xs[:1 + n_states * config["with_state"]]]
        grads += [p.grad for p in module.parameters()]
        results.append([out, *finals, *grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_pytorch(name, batched):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 5).double()
    ours = getattr(nn, name)(3, 5).double()
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3) if batched else (3,))
    states = [rng.standard_normal((2, 5) if batched else (5,))
              for _ in range(2 if name == "LSTMCell" else 1)]
    results = []
    for lib, module in ((minidl, ours), (torch, theirs)):
        xs = [lib.tensor(a, requires_grad=True) for a in [x] + states]
        hx = tuple(xs[1:]) if name == "LSTMCell" else xs[1]
        outs = states_of(name, module(xs[0], hx))
        sum((o * o).sum() * (k + 1) for k, o in enumerate(outs)).backward()
        results.append(outs + [a.grad for a in xs] + [p.grad for p in module.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", LAYERS)
def test_parameter_names_shapes_and_initial_range(name):
    minidl.manual_seed(0)
    model = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True)
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[name]
    expected = {}
    for layer, columns in ((0, 3), (1, 8)):
        for suffix in ("", "_reverse"):
            expected.update({f"weight_ih_l{layer}{suffix}": (gates * 4, columns),
                             f"weight_hh_l{layer}{suffix}": (gates * 4, 4),
                             f"bias_ih_l{layer}{suffix}": (gates * 4,),
                             f"bias_hh_l{layer}{suffix}": (gates * 4,)})
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected
    values = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    assert values.dtype == np.float32 and np.abs(values).max() <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))
    # the mean of n draws of U(-0.5, 0.5) has std 0.5 / sqrt(3 n): allow four of them
    assert np.abs(values).max() > 0.4 and abs(values.mean()) < 4 * 0.5 / np.sqrt(3 * values.size)


def test_zero_initial_state_is_the_default():
    model = nn.GRU(2, 3)
    x = minidl.randn(4, 2, 2)
    out, h = model(x)
    out0, h0 = model(x, minidl.zeros(1, 2, 3))
    np.testing.assert_array_equal(out.detach().numpy(), out0.detach().numpy())
    np.testing.assert_array_equal(h.detach().numpy(), h0.detach().numpy())
    np.testing.assert_array_equal(out[-1].detach().numpy(), h[0].detach().numpy())


def test_dropout_acts_between_layers_in_training_only():
    minidl.manual_seed(0)
    model = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = minidl.randn(5, 2, 3)
    model.eval()
    a, b = model(x)[0], model(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    model.train()
    c, d = model(x)[0], model(x)[0]
    assert not np.allclose(c.detach().numpy(), d.detach().numpy())
    single = nn.LSTM(3, 8, dropout=0.5)  # one layer: nothing to drop between
    np.testing.assert_array_equal(single(x)[0].detach().numpy(), single(x)[0].detach().numpy())


def test_truncated_backpropagation_through_time_stops_at_the_detached_state():
    """Carrying h.detach() into the next chunk: the second chunk's loss sends no gradient
    into the first chunk's input, and equals a fresh run from that state."""
    model = nn.LSTM(2, 3)
    first = minidl.randn(4, 1, 2, requires_grad=True)
    second = minidl.randn(4, 1, 2, requires_grad=True)
    _, (h, c) = model(first)
    out, _ = model(second, (h.detach(), c.detach()))
    out.sum().backward()
    assert first.grad is None and second.grad is not None
    fresh, _ = model(second, (minidl.tensor(h.detach().numpy()), minidl.tensor(c.detach().numpy())))
    np.testing.assert_allclose(fresh.detach().numpy(), out.detach().numpy())


@pytest.mark.parametrize("length", [1, 2, 3, 7, 8])
def test_split_steps_gives_every_step_and_their_gradients(length):
    x = minidl.randn(length, 2, requires_grad=True)
    steps = split_steps(x)
    assert len(steps) == length
    for t, step in enumerate(steps):
        np.testing.assert_array_equal(step.detach().numpy(), x.detach().numpy()[t])
    sum((step * (t + 1)).sum() for t, step in enumerate(steps)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.repeat(np.arange(1.0, length + 1)[:, None],
                                                            2, axis=1))


def test_bad_arguments_and_inputs_are_clear_errors():
    with pytest.raises(ConfigError, match="hidden_size"):
        nn.LSTM(3, 0)
    with pytest.raises(ConfigError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ConfigError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    model = nn.LSTM(3, 4)
    with pytest.raises(ShapeError, match=r"LSTM\(3, 4\).*input_size"):
        model(minidl.randn(5, 2, 7))
    with pytest.raises(ShapeError, match="2-D .* or 3-D"):
        model(minidl.randn(5))
    with pytest.raises(ShapeError, match=r"hx of shape \(1, 2, 4\)"):
        model(minidl.randn(5, 2, 3), (minidl.zeros(2, 2, 4), minidl.zeros(1, 2, 4)))
    with pytest.raises(DTypeError, match="float64"):
        model(minidl.randn(5, 2, 3, dtype=minidl.float64))
    with pytest.raises(ShapeError, match=r"cx of shape \(2, 4\)"):
        nn.LSTMCell(3, 4)(minidl.randn(2, 3), (minidl.zeros(2, 4), minidl.zeros(3, 4)))


def test_lstm_bias_gradients_are_separate_arrays():
    """b_ih and b_hh receive the same gradient; each .grad must own its memory, or an in-place
    change of one (gradient clipping, an optimizer) would change the other."""
    lstm = nn.LSTM(3, 2)
    lstm(minidl.randn(4, 1, 3))[0].sum().backward()
    np.testing.assert_array_equal(lstm.bias_ih_l0.grad.numpy(), lstm.bias_hh_l0.grad.numpy())
    before = lstm.bias_hh_l0.grad.numpy().copy()
    lstm.bias_ih_l0.grad.mul_(0.0)
    np.testing.assert_array_equal(lstm.bias_hh_l0.grad.numpy(), before)
