"""PyTorch's names, signatures and defaults on minidl's public surface (issue 17).

For each name below, minidl must have it, and its parameters must accept PyTorch's parameter
names with PyTorch's defaults and in PyTorch's positional order. Where PyTorch's object has a
Python signature (``nn`` layers, most of ``nn.functional``, ``nn.init``, ``optim``, the
schedulers, ``utils.data``), that signature is the reference. PyTorch's C++ builtins (``torch.*``
functions, ``Tensor`` methods) have none, so ``SPECS`` (in ``pytorch_signature_specs.py``)
writes theirs out by hand, from PyTorch's documentation, with the keyword names PyTorch really
accepts where the two differ (the docs write ``Tensor.mul(value)``; PyTorch takes ``other=``).

Rules, the same for every item:

- the leading tensor operand (``input``, ``other``, ``tensor``, ``self``) is compared by
  position only: code passes it positionally, and minidl's elementwise ops call it ``x``/``a``;
- ``IGNORED`` parameters are PyTorch features minidl does not have, each with its reason;
- ``KNOWN_DIFFERENCES`` lists the few deliberate differences item by item, with the reason (the
  README's "Coming from PyTorch" says them too).
"""
import inspect
import math

import numpy as np
import pytest
from fake_device import fake  # noqa: F401 (a fixture)
from pytorch_signature_specs import DATA, FUNCTIONAL, INIT, NN, OPTIM, SCHEDULERS, SPECS

import minidl
import minidl.data
import minidl.linalg
import minidl.nn.functional
import minidl.nn.init
import minidl.optim
import minidl.optim.lr_scheduler
from minidl.errors import ConfigError, ShapeError
from minidl.nn import functional as F

torch = pytest.importorskip("torch")
import torch.utils.data  # noqa: E402

LEADING_OPERANDS = {"input", "other", "tensor", "self", "tensors"}

# PyTorch parameters minidl does not have, anywhere they appear, and why.
IGNORED = {
    "size_average": "deprecated in PyTorch since 0.4 (warns); reduction= replaces it",
    "foreach": "multi-tensor CUDA kernels; minidl's optimizers are one plain loop",
    "capturable": "CUDA graph capture, which minidl has no equivalent of",
    "differentiable": "autograd through optimizer steps is not offered",
    "fused": "fused CUDA optimizer kernels",
    "layout": "minidl has strided tensors only",
    "pin_memory": "page-locked memory is a CUDA-allocator feature minidl does not manage",
    "memory_format": "minidl arrays are C-ordered; channels_last is not offered",
    "_stacklevel": "private to PyTorch's warnings",
}
# `reduce` means two things in PyTorch: the deprecated loss flag (ignored on losses only) and
# scatter's reduction (checked).
LOSS_IGNORED = {"reduce": "deprecated in PyTorch since 0.4 (warns); reduction= replaces it"}

_IMPLICIT_DIM = ("PyTorch's dim=None picks a dim from the rank, deprecated with a warning; "
                 "minidl asks for it")
# name -> {parameter: why}: deliberate differences, item by item.
KNOWN_DIFFERENCES = {
    **{name: {"dim": _IMPLICIT_DIM} for name in (
        "nn.Softmax", "nn.LogSoftmax", "nn.Softmin", "F.softmax", "F.log_softmax", "F.softmin")},
    "concatenate": {"axis": "an alias of cat: the second positional argument is the same, and "
                            "axis= works as a keyword (cat takes axis=)"},
    "nn.Hardtanh": {p: "min_value/max_value are PyTorch's deprecated spellings of min_val/max_val"
                    for p in ("min_value", "max_value")},
    "nn.TransformerEncoderLayer": {
        "activation": "the default is the string 'relu' (PyTorch's is F.relu): the same layer, "
                      "and the string keeps the module's repr and state simple"},
    "data.random_split": {"generator": "None means minidl's global generator, which is "
                                       "PyTorch's default_generator's role"},
}


def _python_signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _spec_signature(text):
    """The signature of ``lambda <text>: None`` -- the hand-written PyTorch parameter list."""
    return inspect.signature(eval(f"lambda {text}: None", {"inf": math.inf}))


def _same_default(a, b):
    """Equal defaults; 2 and 2.0 read the same, but a bool must stay a bool."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects that do not compare to a bool
        return a is b


def signature_mismatches(name, torch_sig, minidl_sig):
    """What a PyTorch call could pass that minidl's signature would refuse or read otherwise."""
    ignored = dict(IGNORED)
    if name.endswith(("Loss", "_loss", "cross_entropy", "_logits", "kl_div")):
        ignored.update(LOSS_IGNORED)
    ignored.update(KNOWN_DIFFERENCES.get(name, {}))
    ours = [p for p in minidl_sig.parameters.values() if p.name != "self"]
    by_name = {p.name: p for p in ours}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in ours)
    takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in ours)
    problems = []
    theirs = [p for p in torch_sig.parameters.values() if p.name != "self"]
    in_order = True  # no PyTorch parameter before this one was skipped or missing
    for i, p in enumerate(theirs):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ignored:
            in_order = False  # positions after a deprecated or skipped one are moot
            continue
        positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        if positional and p.name in LEADING_OPERANDS and i < len(ours):
            continue  # compared by position
        mine = by_name.get(p.name)
        if mine is None:
            if not takes_kwargs:
                problems.append(f"no parameter {p.name}")
            in_order = False
            continue
        if (positional and in_order and not takes_varargs and i < len(ours)
                and ours[i].name != p.name):
            problems.append(f"{p.name} is not parameter {i} (minidl has {ours[i].name} there)")
        if p.default is not p.empty and not _same_default(p.default, mine.default):
            problems.append(f"{p.name} defaults to {mine.default!r}, not {p.default!r}")
    return problems


PREFIXES = {  # the prefix of a name here -> (minidl's namespace, PyTorch's)
    "nn.": (minidl.nn, torch.nn),
    "F.": (minidl.nn.functional, torch.nn.functional),
    "init.": (minidl.nn.init, torch.nn.init),
    "optim.": (minidl.optim, torch.optim),
    "lr_scheduler.": (minidl.optim.lr_scheduler, torch.optim.lr_scheduler),
    "data.": (minidl.data, torch.utils.data),
    "linalg.": (minidl.linalg, torch.linalg),
    "Tensor.": (minidl.Tensor, torch.Tensor),
    "": (minidl, torch),
}


def _names(prefix, text):
    return [prefix + n for n in text.split()]


PYTHON_NAMES = (_names("nn.", NN) + _names("F.", FUNCTIONAL) + _names("init.", INIT)
                + _names("optim.", OPTIM) + _names("lr_scheduler.", SCHEDULERS)
                + _names("data.", DATA))


def resolve(name):
    for prefix, (ours, theirs) in PREFIXES.items():
        if name.startswith(prefix):
            attr = name[len(prefix):]
            return getattr(ours, attr, None), getattr(theirs, attr)
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(set(PYTHON_NAMES) | set(SPECS)))
def test_minidl_accepts_pytorchs_parameters(name):
    ours, theirs = resolve(name)
    assert ours is not None, f"minidl has no {name}"
    torch_sig = _spec_signature(SPECS[name]) if name in SPECS else _python_signature(theirs)
    assert torch_sig is not None, f"PyTorch's {name} has no Python signature: add it to SPECS"
    minidl_sig = _python_signature(ours)
    assert minidl_sig is not None, name
    assert signature_mismatches(name, torch_sig, minidl_sig) == []


def test_the_rules_catch_what_they_should():
    """The checker itself: a missing keyword, a default, an order, and what it lets through."""
    spec = _spec_signature("input, dim=-1, *, keepdim=False")
    assert signature_mismatches("f", spec, _spec_signature("x, dim=-1, *, keepdim=False")) == []
    assert signature_mismatches("f", spec, _spec_signature("x, dim=-1")) == [
        "no parameter keepdim"]
    assert signature_mismatches("f", spec, _spec_signature("x, dim=0, **kw")) == [
        "dim defaults to 0, not -1"]
    assert signature_mismatches("f", spec, _spec_signature("x, keepdim=False, dim=-1")) == [
        "dim is not parameter 1 (minidl has keepdim there)"]
    assert signature_mismatches("f", _spec_signature("x, p=True"), _spec_signature("x, p=1")) == [
        "p defaults to 1, not True"]
    assert signature_mismatches("f", _spec_signature("x, p=2.0"), _spec_signature("x, p=2")) == []


# ------------------------------------------------------------------ the behaviour behind fixes
# Keywords this audit added; each is checked against PyTorch's values here.
def _pair(array, requires_grad=False):
    return (minidl.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(ours, theirs, tol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 5.0), (0.5, 1.0), (1.0, math.inf)])
def test_softplus_threshold_switches_to_x_as_in_pytorch(beta, threshold):
    x, tx = _pair(np.array([-3.0, 0.5, 1.9, 2.1, 4.0, 9.9, 10.1, 25.0]), requires_grad=True)
    y, ty = F.softplus(x, beta, threshold), torch.nn.functional.softplus(tx, beta, threshold)
    y.sum().backward()
    ty.sum().backward()
    _close(y, ty)
    _close(x.grad, tx.grad)
    assert repr(minidl.nn.Softplus(beta, threshold)) == repr(torch.nn.Softplus(beta, threshold))


def test_softmax_family_casts_to_dtype_first():
    x, tx = _pair(np.array([[1, 2, 3], [0, 5, -1]]))  # integers: only a dtype makes them work
    for name in ("softmax", "log_softmax", "softmin"):
        y = getattr(F, name)(x, 1, dtype=minidl.float64)
        _close(y, getattr(torch.nn.functional, name)(tx, 1, dtype=torch.float64))
        assert y.dtype == minidl.float64
    _close(x.softmax(0, minidl.float64), tx.softmax(0, torch.float64))
    _close(x.log_softmax(0, dtype=minidl.float64), tx.log_softmax(0, dtype=torch.float64))


def test_relu_and_leaky_relu_accept_inplace_and_return_a_new_tensor():
    x = minidl.tensor([-1.0, 2.0])
    for y in (F.relu(x, inplace=True), F.leaky_relu(x, 0.1, True)):
        assert y is not x and x.tolist() == [-1.0, 2.0]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_take_pytorchs_elementwise_weight(name, reduction):
    rng = np.random.default_rng(0)
    a, b, w = rng.normal(size=(3, 2, 3))
    x, tx = _pair(a, requires_grad=True)
    (target, ttarget), (weight, tweight) = _pair(b), _pair(np.abs(w))
    y = getattr(F, name)(x, target, reduction=reduction, weight=weight)
    ty = getattr(torch.nn.functional, name)(tx, ttarget, reduction=reduction, weight=tweight)
    y.sum().backward()
    ty.sum().backward()
    _close(y, ty)
    _close(x.grad, tx.grad)
    with pytest.raises(ShapeError, match=f"{name}: weight shape"):
        getattr(F, name)(x, target, weight=weight[0])


def test_adam_decoupled_weight_decay_follows_pytorch():
    w0 = np.random.default_rng(1).normal(size=5)
    p, tp = _pair(w0, requires_grad=True)
    opt = minidl.optim.Adam([p], lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)
    topt = torch.optim.Adam([tp], lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)
    for _ in range(20):
        for param, o in ((p, opt), (tp, topt)):
            o.zero_grad()
            (param ** 3).sum().backward()
            o.step()
    _close(p, tp)
    assert minidl.optim.AdamW([p]).param_groups[0]["decoupled_weight_decay"] is True
    saved = opt.state_dict()  # a checkpoint from before the setting existed still loads
    del saved["param_groups"][0]["decoupled_weight_decay"]
    again = minidl.optim.Adam([p])
    again.load_state_dict(saved)
    assert again.param_groups[0]["decoupled_weight_decay"] is False


def test_out_on_the_reductions_that_lacked_it():
    x, tx = _pair(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]))
    calls = [  # (call, given the module and the out argument)
        lambda m, out: m.topk(x if m is minidl else tx, 2, out=out),
        lambda m, out: m.aminmax(x if m is minidl else tx, dim=0, out=out),
    ]
    f64, i64 = minidl.float64, minidl.int64
    for call, second in zip(calls, (i64, f64)):  # topk: (values, indices); aminmax: (min, max)
        ours = (minidl.empty(0, dtype=f64), minidl.empty(0, dtype=second))
        theirs = (torch.empty(0, dtype=torch.float64),
                  torch.empty(0, dtype=torch.int64 if second is i64 else torch.float64))
        result = call(minidl, ours)
        assert all(r is o for r, o in zip(result, ours))
        for o, t in zip(ours, call(torch, theirs)):
            _close(o, t)
    for name, args in (("logsumexp", (1,)), ("norm", (1.5, 0))):
        out = minidl.empty(0, dtype=f64)
        assert getattr(minidl, name)(x, *args, out=out) is out
        _close(out, getattr(torch, name)(tx, *args))
    for name in ("norm", "vector_norm", "matrix_norm"):
        out = minidl.empty((), dtype=f64)
        assert getattr(minidl.linalg, name)(x, out=out) is out
        _close(out, getattr(torch.linalg, name)(tx))


def test_norm_takes_dtype_after_out_positionally_as_pytorch():
    x, tx = _pair(np.array([[3.0, 1.0], [0.0, 5.0]], np.float32))
    y = minidl.norm(x, 2, 1, False, None, minidl.float64)
    _close(y, torch.norm(tx, 2, 1, False, None, torch.float64))
    assert y.dtype == minidl.float64


def test_aliases_and_methods_the_audit_added():
    x, tx = _pair(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]))
    assert minidl.concat is minidl.cat and minidl.concatenate is minidl.cat
    _close(minidl.concatenate([x, x], 1), torch.concatenate([tx, tx], 1))
    _close(minidl.concatenate([x, x], axis=1), torch.concatenate([tx, tx], axis=1))
    for ours, theirs in zip(x.topk(2, largest=False), tx.topk(2, largest=False)):
        _close(ours, theirs)
    _close(x.amax(None), tx.amax(None))
    _close(minidl.amin(x, None, True), torch.amin(tx, None, True))
    norm = minidl.nn.GroupNorm(1, 4, 1e-5, True, "cpu", minidl.float64, bias=False)
    assert norm.bias is None and norm.weight.dtype == minidl.float64


def test_multiplicative_lr_follows_pytorchs_sequence():
    def factor(epoch):
        return 0.9 if epoch % 2 else 0.5

    p, tp = _pair(np.zeros(2), requires_grad=True)
    opt, topt = minidl.optim.SGD([p], lr=0.5), torch.optim.SGD([tp], lr=0.5)
    sched = minidl.optim.lr_scheduler.MultiplicativeLR(opt, factor)
    tsched = torch.optim.lr_scheduler.MultiplicativeLR(topt, factor)
    for _ in range(6):
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-15)
        for o, s in ((opt, sched), (topt, tsched)):
            o.step()
            s.step()
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
    with pytest.raises(ConfigError, match="MultiplicativeLR: epoch 1 gives"):
        minidl.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: -1.0).step()


def test_softplus_threshold_on_0d_and_the_stand_in_device(fake):
    for value in (25.0, 1.0):
        x, tx = _pair(np.float64(value), requires_grad=True)
        y, ty = F.softplus(x), torch.nn.functional.softplus(tx)
        y.backward()
        ty.backward()
        _close(y, ty)
        _close(x.grad, tx.grad)
    x = minidl.tensor([1.0, 30.0]).to(fake)
    assert F.softplus(x).device == fake and F.softplus(x).cpu().tolist()[1] == 30.0


def test_shrink_layers_match_pytorch_and_refuse_a_negative_lambd():
    x, tx = _pair(np.array([-2.0, -0.6, -0.5, -0.2, 0.0, 0.3, 0.5, 0.7, 3.0]))
    for name, args in (("Hardshrink", ()), ("Softshrink", (0.3,)), ("Tanhshrink", ())):
        ours, theirs = getattr(minidl.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(ours) == repr(theirs)
        _close(ours(x), theirs(tx))
    for name in ("Hardshrink", "Softshrink"):
        with pytest.raises(ConfigError, match=f"{name}: invalid lambd value: -1"):
            getattr(minidl.nn, name)(-1)
