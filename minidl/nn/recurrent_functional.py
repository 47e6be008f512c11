"""The math of the recurrent layers: one time step of an Elman RNN, an LSTM and a GRU, and the
loop that runs a step over a sequence.

Every step starts from two projections, of the input and of the previous hidden state h:

    xw = x W_ih^T + b_ih          hw = h W_hh^T + b_hh

with the gates stacked along the last axis in PyTorch's order, so that PyTorch's weights load
unchanged (``weight_ih_l0`` is W_ih of layer 0, and so on):

    RNN    h' = tanh(xw + hw)  (or relu)
    LSTM   gates (input i, forget f, cell g, output o):  c' = f c + i g,  h' = o tanh(c')
           (a layer: one fused node for all its steps, ``minidl/ops/lstm_sequence.py``;
           a cell: one per step, ``minidl/ops/lstm_cell.py``)
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
from minidl.ops.lstm_cell import lstm_step
from minidl.ops.lstm_sequence import lstm_sequence
from minidl.ops.shape import stack
from minidl.ops.unary import relu, sigmoid, tanh
from minidl.tensor import Tensor


def split_steps(x: Tensor) -> List[Tensor]:
    """[x[0], x[1], ..., x[T-1]] for x of shape (T, ...), by halving.

    Why not T slices of x: the backward of a slice writes its gradient into zeros the size of
    all of x, and the engine adds those up, T full-size arrays for T slices: O(T^2) work. Cut in
    halves, then halves of halves, the pieces of each level add up to one x: O(T log T)."""
    if x.shape[0] == 1:  # the step itself: a reshape, whose backward is a reshape back
        return [x.reshape(x.shape[1:])]
    half = x.shape[0] // 2
    return split_steps(x[:half]) + split_steps(x[half:])


# Each step maps (xw, carry, w_hh, b_hh) to the next carry: the state that the next step
# needs, h for an RNN or a GRU, [h, c] stacked (2, N, H) for an LSTM.
def rnn_tanh_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    """h' = tanh(xw + h W_hh^T + b_hh)."""
    return tanh(xw + Linear.apply(h, w_hh, b_hh))


def rnn_relu_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    """h' = relu(xw + h W_hh^T + b_hh)."""
    return relu(xw + Linear.apply(h, w_hh, b_hh))


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    """h' = (1 - z) n + z h, written n + z (h - n)."""
    hw = Linear.apply(h, w_hh, b_hh)
    n = h.shape[-1]
    r = sigmoid(xw[..., :n] + hw[..., :n])
    z = sigmoid(xw[..., n:2 * n] + hw[..., n:2 * n])
    new = tanh(xw[..., 2 * n:] + r * hw[..., 2 * n:])
    return new + z * (h - new)


STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step,
         "GRU": gru_step}


def recurrent_layer(mode: str, x: Tensor, state: Tuple[Tensor, ...], w_ih: Tensor,
                    w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor],
                    reverse: bool = False) -> Tuple[Tensor, Tuple[Tensor, ...]]:
    """Run one direction of one layer over x of shape (T, N, input_size) from ``state``, (h,)
    or (h, c) for an LSTM: returns the outputs h_1..h_T stacked, (T, N, H), and the final
    state. ``reverse`` runs from the last step to the first (the backward direction of a
    bidirectional layer); its outputs are still in time order."""
    if mode == "LSTM":  # one fused node for all the steps: minidl/ops/lstm_sequence.py
        hcs = lstm_sequence(x, stack(state), w_ih, w_hh, b_ih, b_hh, reverse)
        last = hcs[0] if reverse else hcs[-1]  # (T, 2, N, H): the outputs are the h halves
        return hcs[:, 0], (last[0], last[1])
    step = STEPS[mode]
    carry = state[0]
    xws = split_steps(Linear.apply(x, w_ih, b_ih))  # every step's input projection at once
    carries = [None] * len(xws)
    for t in (reversed(range(len(xws))) if reverse else range(len(xws))):
        carry = carries[t] = step(xws[t], carry, w_hh, b_hh)
    return stack(carries), (carry,)
