"""Cases and NumPy references for the sequence-model rows of ``tests/op_table.py``: masks
(tril, triu, masked_fill), topk, embedding, scaled dot-product attention, the fused LSTM step,
a whole LSTM layer fused,
whole recurrent layers, and the fused layer normalization and GELU.

Sizes stay tiny (gradgradcheck costs a backward pass per input element per output element);
values come from ``op_cases.values`` ([-3, 3]) unless a row needs otherwise.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import Case, distinct, shapes, values

import minidl
import minidl.nn.functional as F
from minidl.nn.recurrent_functional import recurrent_layer
from minidl.ops.layer_norm import layer_norm


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ------------------------------------------------------------------ masks and topk
@st.composite
def triangle_cases(draw):
    shape = draw(shapes(min_dims=2))
    return Case((draw(values(shape)),), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def masked_fill_cases(draw):
    """A mask of the input's shape or one that broadcasts to it; sometimes a 0-d tensor value
    (then differentiated too)."""
    shape = draw(shapes(min_dims=1))
    mask_shape = shape[draw(st.integers(0, len(shape))):]
    mask = draw(hnp.arrays(np.bool_, mask_shape))
    arrays = (draw(values(shape)),)
    if draw(st.booleans()):
        arrays += (draw(values(())),)
        return Case(arrays, {"mask": mask, "value": None})
    return Case(arrays, {"mask": mask, "value": draw(st.floats(-2, 2))})


def masked_fill(a, *fill, mask, value):
    """``fill`` holds the 0-d tensor value when the case has one, else ``value`` is used."""
    return minidl.masked_fill(a, minidl.tensor(mask, device=a.device), fill[0] if fill else value)


def masked_fill_ref(a, *fill, mask, value):
    return np.where(mask, fill[0] if fill else value, a)


@st.composite
def topk_cases(draw):
    a = draw(distinct(draw(shapes(min_dims=1))))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    k = draw(st.integers(1, a.shape[dim]))
    return Case((a,), {"k": k, "dim": dim, "largest": draw(st.booleans())})


def topk_ref(a, k, dim, largest):
    order = np.argsort(-a if largest else a, axis=dim, kind="stable")
    return np.take_along_axis(a, np.take(order, np.arange(k), axis=dim), axis=dim)


# ------------------------------------------------------------------ embedding
@st.composite
def embedding_cases(draw):
    """A table (rows, dim) and an index array with a repeated index (gradients add up).
    (No padding_idx: its row gets no gradient although the output depends on it, so
    numerical derivatives disagree by design; ``tests/nn/test_embedding.py`` tests it.)"""
    rows, dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    index_shape = draw(shapes(min_dims=1, max_dims=2))
    indices = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, rows - 1)))
    indices.flat[-1] = indices.flat[0]
    return Case((draw(values((rows, dim))),), {"indices": indices})


def embedding(weight, indices):
    return F.embedding(minidl.tensor(indices, device=weight.device), weight)


# ------------------------------------------------------------------ attention
@st.composite
def attention_cases(draw):
    """Q (batch.., L, E), K (S, E), V (S, Ev), lengths and widths 1..3, and a mask: none, bool
    (maybe hiding every key from a query), float (an input, differentiated too) or causal."""
    length, source, e, ev = (draw(st.integers(1, 3)) for _ in range(4))
    batch = draw(st.sampled_from([(), (2,)]))
    arrays = (draw(values(batch + (length, e))), draw(values((source, e))),
              draw(values((source, ev))))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    params = {"kind": kind, "scale": draw(st.sampled_from([None, 0.7])), "mask": None}
    if kind == "bool":
        params["mask"] = draw(hnp.arrays(np.bool_, (length, source)))
    elif kind == "float":
        arrays += (draw(values((length, source), -1, 1)),)
    return Case(arrays, params)


def attention(q, k, v, *float_mask, kind, scale, mask):
    if kind == "float":
        mask = float_mask[0]
    elif mask is not None:
        mask = minidl.tensor(mask, device=q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=kind == "causal",
                                          scale=scale)


def attention_ref(q, k, v, *float_mask, kind, scale, mask):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.T * scale
    allowed = np.ones(scores.shape[-2:], bool)
    if kind == "causal":
        allowed = np.tri(*scores.shape[-2:], dtype=bool)
    elif kind == "bool":
        allowed = mask
    elif kind == "float":
        scores = scores + float_mask[0]
    scores = np.where(allowed, scores, -np.inf)
    top = np.max(np.where(allowed, scores, -1e300), axis=-1, keepdims=True)
    e = np.where(allowed, np.exp(scores - top), 0)
    total = e.sum(-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return weights @ v


# ------------------------------------------------------------------ recurrent
@st.composite
def lstm_step_cases(draw):
    """xw (N, 4H), [h, c] (2, N, H), W_hh (4H, H) and, or not, b_hh (4H,); N * H <= 2."""
    n, h = draw(st.sampled_from([(1, 1), (2, 1), (1, 2)]))
    shapes_ = [(n, 4 * h), (2, n, h), (4 * h, h)] + [(4 * h,)] * draw(st.integers(0, 1))
    return Case(tuple(draw(values(s, -1.5, 1.5)) for s in shapes_), {})


def lstm_cell_ref(xw, hw, c):
    """[h', c'] of an LSTM from the two projections and c."""
    a = xw + hw
    n = c.shape[-1]
    i, f, g, o = (a[:, k * n:(k + 1) * n] for k in range(4))
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return np.stack([_sigmoid(o) * np.tanh(c_new), c_new])


def lstm_step_ref(xw, hc, w_hh, *b_hh):
    return lstm_cell_ref(xw, hc[0] @ w_hh.T + (b_hh[0] if b_hh else 0), hc[1])


@st.composite
def lstm_sequence_cases(draw):
    """x (T, N, I), [h_0, c_0] (2, N, H), W_ih (4H, I), W_hh (4H, H), and b_ih, b_hh or neither;
    T = 1..3, N * H <= 2, I = 1..2, forward or reversed."""
    n, h = draw(st.sampled_from([(1, 1), (2, 1), (1, 2)]))
    steps, inputs = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shapes_ = [(steps, n, inputs), (2, n, h), (4 * h, inputs), (4 * h, h)] + [
        (4 * h,)] * (2 * draw(st.integers(0, 1)))
    return Case(tuple(draw(values(s, -1.5, 1.5)) for s in shapes_),
                {"reverse": draw(st.booleans())})


def lstm_sequence_ref(x, hc, w_ih, w_hh, *biases, reverse):
    """Every step's [h_t, c_t], (T, 2, N, H), by lstm_step_ref in a loop."""
    b_ih, b_hh = biases if biases else (0, ())
    out = [None] * len(x)
    for t in (reversed(range(len(x))) if reverse else range(len(x))):
        hc = out[t] = lstm_step_ref(x[t] @ w_ih.T + b_ih, hc, w_hh, *((b_hh,) if biases else ()))
    return np.stack(out)


GATES = {"RNN_TANH": 1, "LSTM": 4, "GRU": 3}


@st.composite
def recurrent_layer_cases(draw):
    """One direction of one layer over T = 1..3 steps: x (T, 1, 1), initial state(s) (1, H),
    w_ih, w_hh, b_ih, b_hh, with H = 1 (2 for the RNN). Tiny, because gradgradcheck
    differentiates every step's backward by every input element."""
    mode = draw(st.sampled_from(sorted(GATES)))
    steps, inputs = draw(st.integers(1, 3)), 1
    h = 2 if mode == "RNN_TANH" else 1
    rows = GATES[mode] * h
    shapes_ = [(steps, 1, inputs)] + [(1, h)] * (2 if mode == "LSTM" else 1) + [
        (rows, inputs), (rows, h), (rows,), (rows,)]
    arrays = tuple(draw(values(s, -1.5, 1.5)) for s in shapes_)
    return Case(arrays, {"mode": mode, "reverse": draw(st.booleans())})


def run_recurrent_layer(x, *tensors, mode, reverse):
    """The outputs and the final state(s), flattened into one tensor."""
    states = tensors[:-4]
    out, final = recurrent_layer(mode, x, tuple(states), *tensors[-4:], reverse=reverse)
    return minidl.cat([out.reshape(-1)] + [s.reshape(-1) for s in final])


def recurrent_layer_ref(x, *arrays, mode, reverse):
    states = list(arrays[:-4])
    w_ih, w_hh, b_ih, b_hh = arrays[-4:]
    outputs = [None] * len(x)
    for t in (reversed(range(len(x))) if reverse else range(len(x))):
        xw, hw = x[t] @ w_ih.T + b_ih, states[0] @ w_hh.T + b_hh
        n = states[0].shape[-1]
        if mode == "RNN_TANH":
            states = [np.tanh(xw + hw)]
        elif mode == "GRU":
            r = _sigmoid(xw[:, :n] + hw[:, :n])
            z = _sigmoid(xw[:, n:2 * n] + hw[:, n:2 * n])
            new = np.tanh(xw[:, 2 * n:] + r * hw[:, 2 * n:])
            states = [(1 - z) * new + z * states[0]]
        else:
            states = list(lstm_cell_ref(xw, hw, states[1]))
        outputs[t] = states[0]
    return np.concatenate([np.stack(outputs).ravel()] + [s.ravel() for s in states])


# ------------------------------------------------------------------ fused layer norm, GELU
@st.composite
def layer_norm_cases(draw):
    """x, and weight and bias of its trailing dims (both, weight only, or neither)."""
    shape = draw(shapes(min_dims=1))
    trailing = draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - trailing:]
    arrays = (draw(values(shape)),) + tuple(draw(values(normalized))
                                             for _ in range(draw(st.integers(0, 2))))
    return Case(arrays, {"axes": tuple(range(len(shape) - trailing, len(shape)))})


def layer_norm_fused(x, *params, axes):
    return layer_norm(x, *(params + (None,) * (2 - len(params))), axes, 1e-5)


def layer_norm_ref(x, *params, axes):
    deviation = x - x.mean(axis=axes, keepdims=True)
    y = deviation / np.sqrt((deviation ** 2).mean(axis=axes, keepdims=True) + 1e-5)
    y = y * params[0] if params else y
    return y + params[1] if len(params) == 2 else y


@st.composite
def gelu_cases(draw):
    shape = draw(shapes())
    return Case((draw(values(shape)),), {"approximate": draw(st.sampled_from(["none", "tanh"]))})


def gelu_ref(a, approximate):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3)))
    return 0.5 * a * (1 + np.vectorize(math.erf)(a / np.sqrt(2)))
