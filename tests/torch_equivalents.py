"""Each op of the op table (``tests/op_table.py``) written with PyTorch, for the cross-check in
``tests/test_torch_parity.py``: ``TORCH[name](*tensors, **params)`` takes torch tensors and the
row's params and computes what the row's ``fn`` computes with minidl.

The table imports without PyTorch (its names are then still checked against the op table).
``SECOND_ORDER_DIFFERS`` names the few cases where minidl's second derivative is right and
PyTorch's is not, and why.

Read next: ``tests/test_torch_parity.py``.
"""
from __future__ import annotations

from typing import Callable, Dict, Tuple

import op_rows_conv
import op_rows_elementwise
import op_rows_indexing
import op_rows_losses
import op_rows_more
import op_rows_nn
import op_rows_reductions
import op_rows_shape

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the names are checked without PyTorch; the values only with it
    torch = F = None


def _dims(dim, ndim: int):
    """minidl's ``dim``, as PyTorch reads it: () reduces every dimension in both, except in
    PyTorch's logsumexp, which refuses an empty tuple; give it every dim by name."""
    return tuple(range(ndim)) if dim == () else dim


def _all_as_none(dim):
    """dim=() as None: PyTorch's var and std give every dimension for both, but with () their
    second derivative is twice the right one (a PyTorch bug; None gives the right one)."""
    return None if dim == () else dim


def _basic_index(a, key):
    """``a[key]`` for a key of ints, slices, None and Ellipsis whose slices may step backwards,
    which PyTorch refuses: such a slice takes its dimension whole, then ``index_select`` picks
    the positions NumPy's slice would, in its order."""
    parts = key if isinstance(key, tuple) else (key,)
    indexing = sum(part is not None and part is not Ellipsis for part in parts)
    forward, picks, in_dim, out_dim = [], [], 0, 0
    for part in parts:
        if part is Ellipsis or part is None:
            skipped = a.ndim - indexing if part is Ellipsis else 0
            in_dim, out_dim = in_dim + skipped, out_dim + skipped + (part is None)
        elif isinstance(part, slice) and part.step is not None and part.step < 0:
            picks.append((out_dim, list(range(a.shape[in_dim]))[part]))
            part = slice(None)
        if part is not Ellipsis and part is not None:
            in_dim, out_dim = in_dim + 1, out_dim + isinstance(part, slice)
        forward.append(part)
    out = a[tuple(forward)]
    for dim, positions in picks:
        out = out.index_select(dim, torch.tensor(positions, dtype=torch.long))
    return out


def _int_array_index(a, axis, index, as_tensor):
    return a[(slice(None),) * axis + (torch.tensor(index) if as_tensor else index,)]


def _weighted(pieces):
    """As ``spelling_cases._weighted``: piece i times i + 1, so each piece's gradient differs."""
    return [piece * (i + 1) for i, piece in enumerate(pieces)]


def _attention(q, k, v, *float_mask, kind, scale, mask):
    if kind == "float":
        mask = float_mask[0]
    elif mask is not None:
        mask = torch.tensor(mask)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=kind == "causal",
                                          scale=scale)


def _lstm_step(xw, hc, w_hh, *b_hh):
    """minidl's fused step takes xw = x W_ih^T + b_ih already made: give torch.lstm_cell
    x = xw and W_ih = I."""
    eye = torch.eye(xw.shape[1], dtype=xw.dtype)
    h, c = torch.lstm_cell(xw, (hc[0], hc[1]), eye, w_hh, None, b_hh[0] if b_hh else None)
    return torch.stack([h, c])


def _lstm_sequence(x, hc, w_ih, w_hh, *biases, reverse):
    """torch.lstm_cell over the steps, in order or reversed."""
    b_ih, b_hh = biases if biases else (None, None)
    out = [None] * len(x)
    for t in (reversed(range(len(x))) if reverse else range(len(x))):
        h, c = torch.lstm_cell(x[t], (hc[0], hc[1]), w_ih, w_hh, b_ih, b_hh)
        hc = out[t] = torch.stack([h, c])
    return torch.stack(out)


def _norm(a, p, dim, keepdim):
    """PyTorch refuses p="fro" over a tuple of other than 2 dims, which minidl takes as the
    2-norm of the elements (what "fro" is over 2): compare with PyTorch's vector 2-norm there."""
    if p == "fro" and isinstance(dim, tuple) and len(dim) != 2:
        return torch.linalg.vector_norm(a, 2, dim, keepdim)
    return a.norm(p, dim, keepdim)


_RECURRENT = {"RNN_TANH": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _recurrent_layer(x, *tensors, mode, reverse):
    """One layer of torch.nn.RNN/LSTM/GRU run with the case's weights (torch.func's
    functional_call); one reversed direction is the forward one over the reversed sequence."""
    states, (w_ih, w_hh, b_ih, b_hh) = tensors[:-4], tensors[-4:]
    layer = getattr(torch.nn, _RECURRENT[mode])(x.shape[-1], states[0].shape[-1])
    weights = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih,
               "bias_hh_l0": b_hh}
    initial = tuple(s.unsqueeze(0) for s in states)  # (layers, batch, hidden)
    out, final = torch.func.functional_call(
        layer, weights, (x.flip(0) if reverse else x, initial if mode == "LSTM" else initial[0]))
    final = final if mode == "LSTM" else (final,)
    return torch.cat([(out.flip(0) if reverse else out).reshape(-1)] +
                     [s.reshape(-1) for s in final])


TORCH: Dict[str, Callable] = {
    # arithmetic
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow_tensor_tensor": lambda a, b: a ** b,
    "pow_tensor_whole_exponent": lambda a, exponent: a ** torch.tensor(exponent),
    "pow_int_exponent": lambda a, c: a ** c,
    "pow_real_exponent": lambda a, c: a ** c,
    "rpow_scalar_base": lambda a, c: c ** a,
    "rsub_scalar": lambda a, c: c - a,
    "rdiv_scalar": lambda a, c: c / a,
    "mul_scalar": lambda a, c: a * c + c,
    "neg": lambda a: -a,
    # unary
    "exp": lambda a: torch.exp(a),
    "log": lambda a: torch.log(a),
    "sqrt": lambda a: torch.sqrt(a),
    "abs": lambda a: torch.abs(a),
    "sin": lambda a: torch.sin(a),
    "cos": lambda a: torch.cos(a),
    "tanh": lambda a: torch.tanh(a),
    "sigmoid": lambda a: torch.sigmoid(a),
    "relu": lambda a: torch.relu(a),
    # selection
    "maximum": lambda a, b: torch.maximum(a, b),
    "minimum": lambda a, b: torch.minimum(a, b),
    "clamp": lambda a, lo, hi: a.clamp(lo, hi),
    "where": lambda a, b, cond: torch.where(torch.tensor(cond), a, b),
    # reductions
    "sum": lambda a, dim, keepdim: a.sum(dim, keepdim),
    "mean": lambda a, dim, keepdim: a.mean(dim, keepdim),
    "var": lambda a, dim, keepdim, unbiased: a.var(dim=_all_as_none(dim), unbiased=unbiased,
                                                   keepdim=keepdim),
    "std": lambda a, dim, keepdim, unbiased: a.std(dim=_all_as_none(dim), unbiased=unbiased,
                                                   keepdim=keepdim),
    "max_all": lambda a: a.max(),
    "min_all": lambda a: a.min(),
    "max_dim": lambda a, dim, keepdim: a.max(dim, keepdim).values,
    "min_dim": lambda a, dim, keepdim: a.min(dim, keepdim).values,
    "logsumexp": lambda a, dim, keepdim: a.logsumexp(_dims(dim, a.ndim), keepdim),
    "softmax": lambda a, dim: a.softmax(dim),
    "log_softmax": lambda a, dim: a.log_softmax(dim),
    # shapes
    "matmul": lambda a, b: a @ b,
    "reshape": lambda a, shape, method: getattr(a, method)(shape),
    "flatten": lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim),
    "transpose": lambda a, dim0, dim1: a.transpose(dim0, dim1),
    "permute": lambda a, dims: a.permute(dims),
    "squeeze": lambda a, dim: a.squeeze() if dim is None else a.squeeze(dim),
    "unsqueeze": lambda a, dim: a.unsqueeze(dim),
    "expand": lambda a, sizes, shape: a.expand(sizes),  # (a.expand() refuses sizes ())
    "broadcast_to": lambda a, sizes, shape: torch.broadcast_to(a, shape),
    "sum_to": lambda a, shape: a.sum_to_size(shape),
    "getitem_basic": _basic_index,
    "getitem_int_array": _int_array_index,
    "getitem_index_pairs": lambda a, rows, cols: a[rows, cols],
    "getitem_mask": lambda a, mask: a[torch.tensor(mask)],
    "cat": lambda *xs, dim: torch.cat(xs, dim),
    "stack": lambda *xs, dim: torch.stack(xs, dim),
    "pad": lambda a, pad, value: F.pad(a, pad, value=value),
    "to_float32": lambda a: a.to(torch.float32).to(torch.float64),
    # sequence models
    "tril": lambda a, diagonal: torch.tril(a, diagonal),
    "triu": lambda a, diagonal: torch.triu(a, diagonal),
    "masked_fill": lambda a, *fill, mask, value: a.masked_fill(torch.tensor(mask),
                                                               fill[0] if fill else value),
    "topk_values": lambda a, k, dim, largest: a.topk(k, dim, largest).values,
    "embedding": lambda weight, indices: F.embedding(torch.tensor(indices), weight),
    "scaled_dot_product_attention": _attention,
    "lstm_step": _lstm_step,
    "lstm_sequence": _lstm_sequence,
    "layer_norm_fused": lambda x, *p, axes: F.layer_norm(
        x, x.shape[x.ndim - len(axes):], *(p + (None,) * (2 - len(p)))),
    "gelu_fused": lambda a, approximate: F.gelu(a, approximate=approximate),
    "recurrent_layer": _recurrent_layer,
    # PyTorch's everyday spellings
    "log1p": lambda a: torch.log1p(a),
    "expm1": lambda a: torch.expm1(a),
    "rsqrt": lambda a: torch.rsqrt(a),
    "sign": lambda a: a.sign() + a,
    "norm": lambda a, p, dim, keepdim: _norm(a, p, dim, keepdim),
    "norm_inf": lambda a, p, dim, keepdim: torch.norm(a, p, dim, keepdim),
    "split": lambda a, sizes, dim: torch.cat(_weighted(a.split(sizes, dim)), dim),
    "chunk": lambda a, chunks, dim: torch.cat(_weighted(a.chunk(chunks, dim)), dim),
    "dot": lambda a, b: a.dot(b),
    "mm": lambda a, b: torch.mm(a, b),
    "t": lambda a: a.t(),
    "clone": lambda a: a.clone() * 2,
}
# issue 17's rows keep their PyTorch spellings beside them (tests/op_rows_*.py)
for _area in (op_rows_elementwise, op_rows_reductions, op_rows_shape, op_rows_indexing,
              op_rows_nn, op_rows_conv, op_rows_losses, op_rows_more):
    TORCH.update(_area.TORCH)

# op name -> (does this case hit it?, why minidl's second derivative differs there)
SECOND_ORDER_DIFFERS: Dict[str, Tuple[Callable, str]] = {
    "pow_tensor_tensor": (
        lambda case: (case.arrays[1] == 0).any(),
        "PyTorch's dy/dx of x ** y is where(y == 0, 0, y x^(y-1)), whose derivative in y at "
        "y = 0 is 0 instead of 1/x (PyTorch's own gradgradcheck fails there); minidl masks "
        "only 0 ** 0"),
}
