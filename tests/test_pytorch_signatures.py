"""PyTorch's names, signatures and defaults on minidl's public surface (issue 17).

For each name below, minidl must have it, and its parameters must accept PyTorch's parameter
names with PyTorch's defaults and in PyTorch's positional order. Where PyTorch's object has a
Python signature (``nn`` layers, most of ``nn.functional``, ``nn.init``, ``optim``, the
schedulers, ``utils.data``), that signature is the reference. PyTorch's C++ builtins (``torch.*``
functions, ``Tensor`` methods) have none, so ``SPECS`` writes theirs out by hand, from PyTorch's
documentation, with the keyword names PyTorch really accepts where the two differ (the docs
write ``Tensor.mul(value)``; PyTorch takes ``other=``).

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


# PyTorch's C++ builtins: their parameters written out (from PyTorch's documentation and calls).
# "input" is the leading tensor; a method's "self" is left out.
_REDUCE = "input, dim=None, keepdim=False, *, out=None"
_SCAN = "input, dim, *, dtype=None, out=None"
SPECS = {
    # creation
    "tensor": "data, *, dtype=None, device=None, requires_grad=False",
    "as_tensor": "data, dtype=None, device=None",
    "zeros_like": "input, *, dtype=None, device=None, requires_grad=False",
    "ones_like": "input, *, dtype=None, device=None, requires_grad=False",
    "full_like": "input, fill_value, *, dtype=None, device=None, requires_grad=False",
    "arange": "start=0, end=None, step=1, *, out=None, dtype=None, device=None, "
              "requires_grad=False",
    "empty": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "eye": "n, m=None, *, out=None, dtype=None, device=None, requires_grad=False",
    "full": "size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False",
    "linspace": "start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False",
    "ones": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "rand": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "rand_like": "input, *, dtype=None, device=None, requires_grad=False",
    "randint": "low=0, high=None, size=None, *, out=None, dtype=None, device=None, "
               "requires_grad=False",
    "randn": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "randn_like": "input, *, dtype=None, device=None, requires_grad=False",
    "zeros": "*size, out=None, dtype=None, device=None, requires_grad=False",
    # elementwise
    **{name: "input, *, out=None" for name in """floor ceil trunc frac tan asin acos atan sinh
        cosh asinh acosh atanh erf erfc erfinv rsqrt log2 log10 exp2 log1p expm1 square
        reciprocal exp log sqrt sin cos tanh sigmoid abs neg sign""".split()},
    "isnan": "input", "isinf": "input", "isfinite": "input",
    "remainder": "input, other, *, out=None",
    "floor_divide": "input, other, *, out=None",
    "fmod": "input, other, *, out=None",
    "div": "input, other, *, rounding_mode=None, out=None",
    "atan2": "input, other, *, out=None",
    "lerp": "input, end, weight, *, out=None",
    "logaddexp": "input, other, *, out=None",
    "copysign": "input, other, *, out=None",
    "hypot": "input, other, *, out=None",
    "isclose": "input, other, rtol=1e-05, atol=1e-08, equal_nan=False",
    "allclose": "input, other, rtol=1e-05, atol=1e-08, equal_nan=False",
    "where": "condition, input, other, *, out=None",
    "clamp": "input, min=None, max=None, *, out=None",
    "round": "input, *, decimals=0, out=None",
    "pow": "input, exponent, *, out=None",
    "add": "input, other, *, alpha=1, out=None",
    "sub": "input, other, *, alpha=1, out=None",
    # reductions, scans, sorting
    "sum": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "mean": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "prod": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "cumsum": _SCAN, "cumprod": _SCAN,
    "cummax": "input, dim, *, out=None", "cummin": "input, dim, *, out=None",
    "logcumsumexp": "input, dim, *, out=None",
    "logsumexp": "input, dim, keepdim=False, *, out=None",
    "std": "input, dim=None, *, correction=None, keepdim=False, out=None",
    "var": "input, dim=None, *, correction=None, keepdim=False, out=None",
    "std_mean": "input, dim=None, *, correction=None, keepdim=False",  # (no out=)
    "var_mean": "input, dim=None, *, correction=None, keepdim=False",
    "norm": "input, p='fro', dim=None, keepdim=False, out=None, dtype=None",
    "linalg.norm": "A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None",
    "linalg.vector_norm": "x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None",
    "linalg.matrix_norm": "A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None",
    "amax": _REDUCE, "amin": _REDUCE,
    "aminmax": "input, *, dim=None, keepdim=False, out=None",
    "max": _REDUCE, "min": _REDUCE, "argmax": "input, dim=None, keepdim=False",
    "argmin": "input, dim=None, keepdim=False",
    "median": _REDUCE, "nanmedian": _REDUCE,
    "sort": "input, dim=-1, descending=False, *, stable=False, out=None",
    "argsort": "input, dim=-1, descending=False, *, stable=False",
    "topk": "input, k, dim=-1, largest=True, sorted=True, *, out=None",
    "kthvalue": "input, k, dim=-1, keepdim=False, *, out=None",
    # shape and indexing
    "cat": "tensors, dim=0, *, out=None", "concat": "tensors, dim=0, *, out=None",
    "concatenate": "tensors, axis=0, out=None", "stack": "tensors, dim=0, *, out=None",
    "split": "tensor, split_size_or_sections, dim=0",
    "chunk": "input, chunks, dim=0", "unbind": "input, dim=0",
    "flip": "input, dims", "roll": "input, shifts, dims=None",
    "diagonal": "input, offset=0, dim1=0, dim2=1",
    "diag_embed": "input, offset=0, dim1=-2, dim2=-1",
    "movedim": "input, source, destination", "moveaxis": "input, source, destination",
    "swapaxes": "input, axis0, axis1", "narrow": "input, dim, start, length",
    "unflatten": "input, dim, sizes",
    "tile": "input, dims", "repeat_interleave": "input, repeats, dim=None, *, output_size=None",
    "scatter": "input, dim, index, src=None, *, value=None, reduce=None",
    "scatter_add": "input, dim, index, src",
    "scatter_reduce": "input, dim, index, src, reduce, *, include_self=True",
    "masked_fill": "input, mask, value", "masked_scatter": "input, mask, source",
    "flatten": "input, start_dim=0, end_dim=-1", "squeeze": "input, dim=None",
    "unsqueeze": "input, dim", "transpose": "input, dim0, dim1",
    "softmax": "input, dim, *, dtype=None", "log_softmax": "input, dim, *, dtype=None",
    "diag": "input, diagonal=0, *, out=None",
    "gather": "input, dim, index, *, sparse_grad=False, out=None",
    "index_add": "input, dim, index, source, *, alpha=1, out=None",
    "index_select": "input, dim, index, *, out=None",
    "masked_select": "input, mask, *, out=None",
    "nonzero": "input, *, out=None, as_tuple=False",
    "swapdims": "input, dim0, dim1",
    "take_along_dim": "input, indices, dim=None, *, out=None",
    "tril": "input, diagonal=0, *, out=None",
    "triu": "input, diagonal=0, *, out=None",
    # Tensor methods
    "Tensor.sum": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.mean": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.prod": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.cumsum": "dim, *, dtype=None", "Tensor.cumprod": "dim, *, dtype=None",
    "Tensor.cummax": "dim", "Tensor.cummin": "dim", "Tensor.logcumsumexp": "dim",
    "Tensor.std": "dim=None, *, correction=None, keepdim=False",
    "Tensor.var": "dim=None, *, correction=None, keepdim=False",
    "Tensor.norm": "p='fro', dim=None, keepdim=False, dtype=None",
    "Tensor.amax": "dim=None, keepdim=False", "Tensor.amin": "dim=None, keepdim=False",
    "Tensor.aminmax": "*, dim=None, keepdim=False",
    "Tensor.max": "dim=None, keepdim=False", "Tensor.min": "dim=None, keepdim=False",
    "Tensor.median": "dim=None, keepdim=False", "Tensor.nanmedian": "dim=None, keepdim=False",
    "Tensor.sort": "dim=-1, descending=False, *, stable=False",
    "Tensor.argsort": "dim=-1, descending=False, *, stable=False",
    "Tensor.topk": "k, dim=-1, largest=True, sorted=True",
    "Tensor.kthvalue": "k, dim=-1, keepdim=False",
    "Tensor.div": "other, *, rounding_mode=None", "Tensor.fmod": "other",
    "Tensor.remainder": "other", "Tensor.floor_divide": "other",
    "Tensor.lerp": "end, weight", "Tensor.isclose": "other, rtol=1e-05, atol=1e-08, "
                                                   "equal_nan=False",
    "Tensor.clamp": "min=None, max=None", "Tensor.round": "*, decimals=0",
    "Tensor.add": "other, *, alpha=1", "Tensor.sub": "other, *, alpha=1",
    "Tensor.pow": "exponent",
    "Tensor.repeat": "*repeats", "Tensor.repeat_interleave": "repeats, dim=None, *, "
                                                             "output_size=None",
    "Tensor.tile": "dims", "Tensor.split": "split_size, dim=0", "Tensor.chunk": "chunks, dim=0",
    "Tensor.unbind": "dim=0", "Tensor.flip": "dims", "Tensor.roll": "shifts, dims=None",
    "Tensor.diag": "diagonal=0",
    "Tensor.diagonal": "offset=0, dim1=0, dim2=1",
    "Tensor.diag_embed": "offset=0, dim1=-2, dim2=-1",
    "Tensor.unflatten": "dim, sizes", "Tensor.movedim": "source, destination",
    "Tensor.moveaxis": "source, destination", "Tensor.swapaxes": "axis0, axis1",
    "Tensor.narrow": "dim, start, length", "Tensor.unfold": "dimension, size, step",
    "Tensor.gather": "dim, index, *, sparse_grad=False",
    "Tensor.scatter": "dim, index, src=None, *, value=None, reduce=None",
    "Tensor.scatter_add": "dim, index, src",
    "Tensor.scatter_reduce": "dim, index, src, reduce, *, include_self=True",
    "Tensor.index_select": "dim, index", "Tensor.index_add": "dim, index, source, *, alpha=1",
    "Tensor.masked_select": "mask", "Tensor.masked_scatter": "mask, source",
    "Tensor.nonzero": "*, as_tuple=False", "Tensor.take_along_dim": "indices, dim=None",
    "Tensor.flatten": "start_dim=0, end_dim=-1", "Tensor.transpose": "dim0, dim1",
    "Tensor.softmax": "dim, dtype=None", "Tensor.log_softmax": "dim, dtype=None",
    "Tensor.view": "*size", "Tensor.reshape": "*shape", "Tensor.permute": "*dims",
    "Tensor.expand": "*size", "Tensor.squeeze": "dim=None", "Tensor.unsqueeze": "dim",
    "Tensor.backward": "gradient=None, retain_graph=None, create_graph=False, inputs=None",
    "Tensor.masked_fill": "mask, value",
    "Tensor.masked_fill_": "mask, value",
    "Tensor.tril": "diagonal=0",
    "Tensor.swapdims": "dim0, dim1",
    "Tensor.triu": "diagonal=0",
    # nn.functional builtins
    "F.gelu": "input, approximate='none'",
    "F.softplus": "input, beta=1.0, threshold=20.0",
    "F.prelu": "input, weight", "F.logsigmoid": "input",
    "F.hardshrink": "input, lambd=0.5", "F.softshrink": "input, lambd=0.5",
    "F.one_hot": "tensor, num_classes=-1",
    "F.pixel_shuffle": "input, upscale_factor",
    "F.linear": "input, weight, bias=None",
    "F.conv1d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "F.conv2d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "F.conv_transpose1d": "input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                          "groups=1, dilation=1",
    "F.conv_transpose2d": "input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                          "groups=1, dilation=1",
    "F.avg_pool1d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, "
                    "count_include_pad=True",
    "F.avg_pool2d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, "
                    "count_include_pad=True, divisor_override=None",
    "F.adaptive_avg_pool1d": "input, output_size",
    "F.adaptive_avg_pool2d": "input, output_size",
    "F.cosine_similarity": "x1, x2, dim=1, eps=1e-08",
    "F.pairwise_distance": "x1, x2, p=2.0, eps=1e-06, keepdim=False",
    "F.pad": "input, pad, mode='constant', value=None",
}


NN = """Linear Identity Flatten Unflatten Embedding ReLU LeakyReLU Sigmoid Tanh GELU Softmax
    LogSoftmax Softplus SiLU ELU SELU CELU ReLU6 Hardswish Hardsigmoid Hardtanh Mish Softsign
    LogSigmoid Softmin PReLU GLU Threshold Hardshrink Softshrink Tanhshrink Conv1d Conv2d
    ConvTranspose1d ConvTranspose2d
    MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d
    MaxUnpool2d Upsample PixelShuffle PixelUnshuffle Fold Unfold
    BatchNorm1d BatchNorm2d InstanceNorm1d InstanceNorm2d LayerNorm GroupNorm RMSNorm
    Dropout Dropout1d Dropout2d
    AlphaDropout LSTM GRU RNN MultiheadAttention TransformerEncoderLayer MSELoss L1Loss
    CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss KLDivLoss
    CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss PoissonNLLLoss GaussianNLLLoss"""
FUNCTIONAL = """relu leaky_relu elu selu celu relu6 hardswish hardsigmoid hardtanh mish softsign
    logsigmoid softmin softmax log_softmax glu threshold tanhshrink silu gelu softplus prelu
    sigmoid tanh
    dropout dropout1d dropout2d alpha_dropout normalize group_norm instance_norm layer_norm
    batch_norm rms_norm one_hot interpolate pixel_shuffle fold unfold conv1d conv2d
    conv_transpose1d conv_transpose2d max_pool1d max_pool2d avg_pool1d avg_pool2d
    adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d max_unpool2d linear embedding
    mse_loss l1_loss cross_entropy nll_loss binary_cross_entropy
    binary_cross_entropy_with_logits smooth_l1_loss huber_loss kl_div cosine_embedding_loss
    margin_ranking_loss triplet_margin_loss poisson_nll_loss gaussian_nll_loss
    cosine_similarity pairwise_distance"""
INIT = """uniform_ normal_ constant_ ones_ zeros_ xavier_uniform_ xavier_normal_ kaiming_uniform_
    kaiming_normal_ trunc_normal_ orthogonal_ eye_ dirac_ sparse_ calculate_gain"""
OPTIM = "SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam LBFGS"
SCHEDULERS = """StepLR MultiStepLR ExponentialLR CosineAnnealingLR LambdaLR MultiplicativeLR
    LinearLR ReduceLROnPlateau OneCycleLR CyclicLR PolynomialLR CosineAnnealingWarmRestarts
    ConstantLR ChainedScheduler SequentialLR"""
DATA = """Dataset TensorDataset Subset random_split Sampler SequentialSampler
    RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler ConcatDataset
    ChainDataset IterableDataset get_worker_info DataLoader default_collate"""

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
