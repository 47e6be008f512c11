"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder against PyTorch
(values and gradients, with PyTorch's state_dict loaded), their mask conventions, and bad
inputs.

Read next: ``test_embedding.py``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.nn.layers.transformer import generate_square_subsequent_mask

TOL = dict(rtol=1e-9, atol=1e-10)
# PyTorch warns when a bool padding mask meets a float attention mask (it still accepts both).
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")


def load_from_torch(ours, theirs):
    ours.load_state_dict({k: minidl.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def run_both(torch, fn_ours, fn_theirs, arrays, needs_grad):
    """Each function on its library's tensors; outputs and input gradients of a weighted sum
    of the outputs (weights cos(k)), for both libraries."""
    results = []
    for lib, fn in ((minidl, fn_ours), (torch, fn_theirs)):
        xs = [lib.tensor(a, requires_grad=need) for a, need in zip(arrays, needs_grad)]
        outs = fn(*xs)
        outs = [o for o in (outs if isinstance(outs, tuple) else (outs,)) if o is not None]
        total = sum((o * lib.tensor(np.cos(np.arange(o.numel())).reshape(o.shape))).sum()
                    for o in outs)
        total.backward()
        results.append(outs + [x.grad for x in xs if x.requires_grad])
    return results


def assert_same(results):
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


@st.composite
def sdpa_cases(draw):
    batch = draw(st.sampled_from([(), (2,), (2, 3)]))
    length, source, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    return dict(batch=batch, length=length, source=source, e=e, ev=ev, kind=kind,
                scale=draw(st.sampled_from([None, 0.5])),
                mask_shape=draw(st.sampled_from([(length, source), batch + (length, source)])))


@settings(max_examples=40, deadline=None)
@given(case=sdpa_cases(), seed=st.integers(0, 1000))
def test_scaled_dot_product_attention_matches_pytorch(case, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(case["batch"] + (case["length"], case["e"]))
    k = rng.standard_normal(case["batch"] + (case["source"], case["e"]))
    v = rng.standard_normal(case["batch"] + (case["source"], case["ev"]))
    arrays, needs = [q, k, v], [True] * 3
    if case["kind"] == "bool":
        arrays.append(rng.random(case["mask_shape"]) < 0.7)  # some queries may see no key
        needs.append(False)
    elif case["kind"] == "float":
        arrays.append(rng.standard_normal(case["mask_shape"]))
        needs.append(True)

    def call(sdpa):
        return lambda q, k, v, *mask: sdpa(q, k, v, attn_mask=mask[0] if mask else None,
                                           is_causal=case["kind"] == "causal",
                                           scale=case["scale"])
    assert_same(run_both(torch, call(F.scaled_dot_product_attention),
                         call(torch.nn.functional.scaled_dot_product_attention), arrays, needs))


@st.composite
def mha_cases(draw):
    return dict(batch_first=draw(st.booleans()), batch=draw(st.sampled_from([None, 1, 2])),
                length=draw(st.integers(1, 4)), source=draw(st.integers(1, 4)),
                self_attention=draw(st.booleans()), bias=draw(st.booleans()),
                attn_mask=draw(st.sampled_from([None, "bool", "float", "per_head"])),
                padding=draw(st.booleans()), need_weights=draw(st.booleans()),
                average=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(case=mha_cases(), seed=st.integers(0, 1000))
def test_multihead_attention_matches_pytorch(case, seed):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(6, 2, bias=case["bias"],
                                         batch_first=case["batch_first"]).double()
    ours = nn.MultiheadAttention(6, 2, bias=case["bias"], batch_first=case["batch_first"]).double()
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(seed)
    length = case["length"]
    source = length if case["self_attention"] else case["source"]
    batch = case["batch"]

    def shaped(n):
        if batch is None:
            return (n, 6)
        return (batch, n, 6) if case["batch_first"] else (n, batch, 6)
    arrays = [rng.standard_normal(shaped(length))]
    if not case["self_attention"]:
        arrays += [rng.standard_normal(shaped(source)), rng.standard_normal(shaped(source))]
    needs = [True] * len(arrays)
    masks = {}
    if case["attn_mask"] is not None:
        shape = (2 * (batch or 1), length, source) if case["attn_mask"] == "per_head" and \
            batch else (length, source)
        masks["attn_mask"] = (rng.random(shape) < 0.3 if case["attn_mask"] == "bool"
                              else rng.standard_normal(shape))
    if case["padding"]:
        pad = np.zeros((source,) if batch is None else (batch, source), bool)
        pad[..., -1] = source > 1  # hide the last key (never every key)
        masks["key_padding_mask"] = pad
    names = list(masks)
    arrays += [masks[n] for n in names]
    needs += [False] * len(names)
    n_inputs = 1 if case["self_attention"] else 3

    def call(module):
        def fn(*xs):
            q, k, v = (xs[0],) * 3 if case["self_attention"] else xs[:3]
            kwargs = dict(zip(names, xs[n_inputs:]))
            return module(q, k, v, need_weights=case["need_weights"],
                          average_attn_weights=case["average"], **kwargs)
        return fn
    assert_same(run_both(torch, call(ours), call(theirs), arrays, needs))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_matches_pytorch(norm_first, activation, batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kwargs = dict(dim_feedforward=12, dropout=0.0, activation=activation,
                  norm_first=norm_first, batch_first=batch_first)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                         norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False).double()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                 norm=nn.LayerNorm(8)).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 8))
    mask = generate_square_subsequent_mask(5 if batch_first else 3, dtype=np.float64).numpy()
    padding = np.zeros((3, 5) if batch_first else (5, 3), bool)
    padding[0, -1] = True

    def call(module):
        return lambda x, mask, padding: module(x, mask=mask, src_key_padding_mask=padding,
                                               is_causal=True)
    assert_same(run_both(torch, call(ours), call(theirs), [x, mask, padding],
                         [True, False, False]))


def test_encoder_layers_are_independent_copies_and_dropout_is_off_in_eval():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.5)
    encoder = nn.TransformerEncoder(layer, 2)
    a, b = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert a is not b and a is not layer.linear1.weight
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    x = minidl.randn(3, 2, 4)
    encoder.eval()
    np.testing.assert_array_equal(encoder(x).detach().numpy(), encoder(x).detach().numpy())
    encoder.train()
    assert not np.allclose(encoder(x).detach().numpy(), encoder(x).detach().numpy())


def test_a_query_that_sees_no_key_gets_zero_and_finite_gradients():
    q, k, v = (minidl.randn(2, 3, 4, requires_grad=True) for _ in range(3))
    mask = minidl.tensor([[True, True, False], [False, False, False], [True, False, False]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.detach().numpy()[:, 1], 0)
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))


def test_the_causal_mask():
    np.testing.assert_array_equal(generate_square_subsequent_mask(3).numpy(),
                                  [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_bad_arguments_are_clear_errors():
    q = minidl.randn(2, 3, 4)
    with pytest.raises(ShapeError, match="query .*key .*value"):
        F.scaled_dot_product_attention(q, minidl.randn(2, 3, 5), q)
    with pytest.raises(DTypeError, match="dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=minidl.ones(3, 3) > 0, is_causal=True)
    with pytest.raises(ShapeError, match="mask of shape"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=minidl.ones(4, 4) > 0)
    with pytest.raises(ConfigError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ConfigError, match="kdim"):
        nn.MultiheadAttention(6, 2, kdim=3)
    mha = nn.MultiheadAttention(4, 2)
    with pytest.raises(ShapeError, match="value of shape"):
        mha(q, q, minidl.randn(3, 4))
    with pytest.raises(ValueError, match="is_causal"):
        mha(q, q, q, is_causal=True)
    with pytest.raises(ShapeError, match="key_padding_mask"):
        mha(q, q, q, key_padding_mask=minidl.ones(2, 2) > 0)
    with pytest.raises(ConfigError, match="activation"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")
