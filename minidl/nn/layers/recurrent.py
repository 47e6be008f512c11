"""Recurrent layers: RNN, LSTM and GRU over whole sequences, and RNNCell, LSTMCell and GRUCell
for one time step, with PyTorch's signatures, defaults, parameter names and shapes, so that a
PyTorch ``state_dict`` loads and gives the same outputs.

Parameters, for layer k (``_reverse`` appended for the backward direction of a bidirectional
layer), with G = 1, 4 or 3 gates for RNN, LSTM and GRU, H = hidden_size:

    weight_ih_l{k}  (G*H, input_size, or D*H above layer 0)    bias_ih_l{k}  (G*H,)
    weight_hh_l{k}  (G*H, H)                                   bias_hh_l{k}  (G*H,)

all drawn from U(-1/sqrt(H), 1/sqrt(H)), as in PyTorch. Shapes (L the sequence length, N the
batch, D = 2 if bidirectional else 1):

    input   (L, N, input_size), or (N, L, input_size) with batch_first, or (L, input_size)
    h_0     (D * num_layers, N, H), zeros when not given (an LSTM takes (h_0, c_0))
    output  (L, N, D * H): the last layer's h at every step, both directions concatenated
    h_n     (D * num_layers, N, H): every layer's final state ((h_n, c_n) for an LSTM)

Truncated backpropagation through time: carry the final state into the next chunk of a long
sequence as ``h.detach()``, so that each backward stops at the chunk's start
(``examples/char_gpt.py --model lstm`` does). Packed sequences are not supported.

Read next: ``minidl/nn/attention_functional.py`` (scaled dot-product attention).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

from minidl.creation import empty, zeros
from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.nn import functional as F
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.nn.recurrent_functional import STEPS, recurrent_layer
from minidl.ops.shape import cat, stack
from minidl.tensor import Tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_size(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{owner}: {name} must be a positive integer, got {value!r}")


def _rnn_mode(owner: str, nonlinearity: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ConfigError(f"{owner}: unknown nonlinearity {nonlinearity!r} (expected 'tanh' "
                          "or 'relu')")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _check_input(label: str, input: Tensor, ranks: Tuple[int, int], size: int,
                 dtype) -> None:
    if not isinstance(input, Tensor) or input.ndim not in ranks:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"{label}: expected a {ranks[0]}-D (unbatched) or {ranks[1]}-D input, "
                         f"got {shape}")
    if input.shape[-1] != size:
        raise ShapeError(f"{label}: expected input with last dimension {size} (input_size), "
                         f"got shape {tuple(input.shape)}")
    if input.dtype != dtype:
        raise DTypeError(f"{label}: input dtype {input.dtype} does not match the parameters' "
                         f"{dtype}")


def _check_state(label: str, name: str, t: Tensor, shape: tuple) -> None:
    if not isinstance(t, Tensor) or tuple(t.shape) != shape:
        got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise ShapeError(f"{label}: expected {name} of shape {shape}, got {got}")


# ------------------------------------------------------------------------------ one time step
class RNNCellBase(Module):
    """What the cells share: weight_ih (G*H, input_size), weight_hh (G*H, H), the two biases,
    and the step's math, called on the input's projection (``recurrent_functional.py``; an
    LSTM's state travels as [h, c] stacked)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        self.mode = mode  # a key of recurrent_functional.STEPS
        _check_size(type(self).__name__, "input_size", input_size)
        _check_size(type(self).__name__, "hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = _GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(empty(rows, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(rows, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(rows, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(rows, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _step(self, input: Tensor, state: Optional[tuple]) -> tuple:
        label = f"{type(self).__name__}({self.extra_repr()})"
        _check_input(label, input, (1, 2), self.input_size, self.weight_ih.dtype)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        if state is None:
            state = tuple(zeros(shape, dtype=x.dtype, device=x.device)
                          for _ in range(2 if self.mode == "LSTM" else 1))
        else:
            state = tuple(s if batched else s.unsqueeze(0) for s in state)
            for name, s in zip(("hx", "cx"), state):
                _check_state(label, name, s, shape)
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        lstm = self.mode == "LSTM"
        carry = STEPS[self.mode](xw, stack(state) if lstm else state[0], self.weight_hh,
                                 self.bias_hh)
        state = (carry[0], carry[1]) if lstm else (carry,)
        return state if batched else tuple(s.squeeze(0) for s in state)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), for x of shape (N, input_size)
    or (input_size,); ``hx`` defaults to zeros."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None):
        super().__init__(_rnn_mode("RNNCell", nonlinearity), input_size, hidden_size, bias,
                         device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        return self._step(input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') from x and ``hx = (h, c)`` (zeros when not given);
    the recurrent projection and the gates are one fused node (``minidl/ops/lstm_cell.py``)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step: h' = (1 - z) n + z h (gates in ``recurrent_functional.py``)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        return self._step(input, None if hx is None else (hx,))[0]


# ------------------------------------------------------------------------------ whole sequences
class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, registered
    in PyTorch's order, and the loop over layers (dropout between them) and directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None):
        super().__init__()
        self.mode = mode  # a key of recurrent_functional.STEPS
        owner = type(self).__name__
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            _check_size(owner, name, value)
        F.check_dropout_p(dropout, f"{owner} dropout")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        rows = _GATES[self.mode] * hidden_size
        for layer in range(num_layers):
            columns = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                names = (f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}",
                         f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}")
                shapes = ((rows, columns), (rows, hidden_size), (rows,), (rows,))
                for name, shape in zip(names if bias else names[:2], shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_weights(self, layer: int, suffix: str):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [getattr(self, f"{name}_l{layer}{suffix}") if self.bias or name[0] == "w"
                else None for name in names]

    def _run(self, input: Tensor, hx: Optional[tuple]):
        """(output, final states) for ``hx`` a tuple of state tensors, or None."""
        label = f"{type(self).__name__}({self.extra_repr()})"
        _check_input(label, input, (2, 3), self.input_size, self.weight_ih_l0.dtype)
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # the loop runs over time: (L, N, features)
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, x.shape[1], self.hidden_size)
        if hx is None:
            hx = tuple(zeros(shape, dtype=x.dtype, device=x.device)
                       for _ in range(2 if self.mode == "LSTM" else 1))
        else:
            hx = tuple(h if batched else h.unsqueeze(1) for h in hx)
            for name, h in zip(("hx", "cx"), hx):
                _check_state(label, name, h, shape)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                x = F.dropout(x, self.dropout, True)
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[:directions]):
                k = layer * directions + direction
                out, state = recurrent_layer(self.mode, x, tuple(h[k] for h in hx),
                                             *self._layer_weights(layer, suffix),
                                             reverse=direction == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if directions == 1 else cat(outputs, -1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        states = tuple(stack([state[i] for state in finals]) for i in range(len(hx)))
        if not batched:
            x, states = x.squeeze(1), tuple(s.squeeze(1) for s in states)
        return x, states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RNNBase):
    """An Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), layer
    after layer. ``forward(input, hx=None)`` returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None):
        super().__init__(_rnn_mode("RNN", nonlinearity), input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None):
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory: ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns
    (output, (h_n, c_n)). Each step (recurrent projection and gates) is one fused node."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None):
        if proj_size != 0:
            raise ConfigError(f"LSTM: proj_size={proj_size!r} is not supported (only 0)")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None):
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: ``forward(input, hx=None)`` returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None):
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
