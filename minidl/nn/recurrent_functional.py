"""The math of the recurrent layers: one time step of an Elman RNN, an LSTM and a GRU, and the
loop that runs a step over a sequence.

Every step starts from two projections, of the input and of the previous hidden state h:

    xw = x W_ih^T + b_ih          hw = h W_hh^T + b_hh

with the gates stacked along the last axis in PyTorch's order, so that PyTorch's weights load
unchanged (``weight_ih_l0`` is W_ih of layer 0, and so on):

    RNN    h' = tanh(xw + hw)  (or relu)
    LSTM   gates (input i, forget f, cell g, output o):  c' = f c + i g,  h' = o tanh(c')
           (fused: ``minidl/ops/lstm_cell.py``)
    GRU    gates (reset r, update z, new n):
           r = sigmoid(xw_r + hw_r),  z = sigmoid(xw_z + hw_z),  n = tanh(xw_n + r hw_n),
           h' = (1 - z) n + z h

A layer computes xw for every time step with one matrix product, then loops over time: the
only sequential work is h's projection and the gates. Backpropagation through time is just the
engine walking this unrolled loop backward.

Read next: ``minidl/nn/layers/recurrent.py`` (the RNN, LSTM and GRU modules).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from minidl.ops.linalg import Linear
from minidl.ops.lstm_cell import lstm_cell_gates
from minidl.ops.shape import stack
from minidl.ops.unary import relu, sigmoid, tanh
from minidl.tensor import Tensor

State = Tuple[Tensor, ...]  # (h,) for an RNN or a GRU, (h, c) for an LSTM


def split_steps(x: Tensor) -> List[Tensor]:
    """[x[0], x[1], ..., x[T-1]] for x of shape (T, ...), by halving.

    Why not T slices of x: the backward of a slice writes its gradient into zeros the size of
    all of x, and the engine adds those up, T full-size arrays for T slices: O(T^2) work. Cut in
    halves, then halves of halves, the pieces of each level add up to one x: O(T log T)."""
    if x.shape[0] == 1:
        return [x[0]]
    half = x.shape[0] // 2
    return split_steps(x[:half]) + split_steps(x[half:])


def rnn_step(xw: Tensor, state: State, w_hh: Tensor, b_hh: Optional[Tensor],
             nonlinearity: str = "tanh") -> State:
    """h' = tanh(xw + h W_hh^T + b_hh) (or relu)."""
    h, = state
    a = xw + Linear.apply(h, w_hh, b_hh)
    return (tanh(a) if nonlinearity == "tanh" else relu(a),)


def lstm_step(xw: Tensor, state: State, w_hh: Tensor, b_hh: Optional[Tensor]) -> State:
    """(h', c') of an LSTM, its gate arithmetic in one fused node."""
    h, c = state
    hc = lstm_cell_gates(xw, Linear.apply(h, w_hh, b_hh), c)
    return hc[0], hc[1]


def gru_step(xw: Tensor, state: State, w_hh: Tensor, b_hh: Optional[Tensor]) -> State:
    """h' = (1 - z) n + z h, written n + z (h - n)."""
    h, = state
    hw = Linear.apply(h, w_hh, b_hh)
    n = h.shape[-1]
    r = sigmoid(xw[..., :n] + hw[..., :n])
    z = sigmoid(xw[..., n:2 * n] + hw[..., n:2 * n])
    new = tanh(xw[..., 2 * n:] + r * hw[..., 2 * n:])
    return (new + z * (h - new),)


STEPS = {"RNN_TANH": rnn_step, "RNN_RELU": lambda xw, state, w_hh, b_hh: rnn_step(
    xw, state, w_hh, b_hh, "relu"), "LSTM": lstm_step, "GRU": gru_step}


def recurrent_layer(mode: str, x: Tensor, state: State, w_ih: Tensor, w_hh: Tensor,
                    b_ih: Optional[Tensor], b_hh: Optional[Tensor],
                    reverse: bool = False) -> Tuple[Tensor, State]:
    """Run one direction of one layer over x of shape (T, N, input_size) from ``state``:
    returns the outputs h_1..h_T stacked, (T, N, H), and the final state. ``reverse`` runs
    from the last step to the first (the backward direction of a bidirectional layer); its
    outputs are still in time order."""
    step = STEPS[mode]
    xws = split_steps(Linear.apply(x, w_ih, b_ih))  # every step's input projection at once
    outputs = [None] * len(xws)
    for t in (reversed(range(len(xws))) if reverse else range(len(xws))):
        state = step(xws[t], state, w_hh, b_hh)
        outputs[t] = state[0]
    return stack(outputs), state
