"""Misconfigured layers, losses, modules and state dicts: every one a minidl error, named.

A table of bad constructor and function arguments (each must raise a ``ConfigError`` — a
``MinidlError`` and a ``ValueError`` — or its ``TypeError`` flavour, ``ConfigTypeError``, with a
message naming the layer or op, the argument and the value); then ``Module.load_state_dict``'s
promise, all or nothing; then PyTorch's edge semantics for losses over targets that all count for
nothing, with no NumPy ``RuntimeWarning`` escaping.
"""
import math
import warnings

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigKeyError, ConfigTypeError
from minidl.errors import ConfigError, DTypeError, MinidlError, OutOfRangeError, ShapeError
from minidl.nn import init
from minidl.nn.loss_functional import cross_entropy_composed

CASES = [
    # -- Linear, Flatten, Unflatten
    ("linear-float", lambda: nn.Linear(2.5, 3), ConfigTypeError, ["Linear", "in_features", "2.5"]),
    ("linear-bool", lambda: nn.Linear(True, 3), ConfigTypeError, ["Linear", "in_features"]),
    ("linear-negative", lambda: nn.Linear(3, -1), ConfigError, ["Linear", "out_features", "-1"]),
    ("linear-bias", lambda: nn.Linear(3, 2, bias="no"), ConfigTypeError, ["Linear", "bias"]),
    ("flatten-dim", lambda: nn.Flatten(1.0), ConfigTypeError, ["Flatten", "start_dim", "1.0"]),
    ("unflatten-zero", lambda: nn.Unflatten(1, (2, 0)), ConfigError,
     ["Unflatten", "unflattened_size", "(2, 0)"]),
    ("unflatten-two-minus-one", lambda: nn.Unflatten(1, (-1, -1)), ConfigError,
     ["Unflatten", "at most one of them -1"]),
    ("unflatten-int", lambda: nn.Unflatten(1, 4), ConfigTypeError, ["Unflatten", "4"]),
    # -- Conv2d
    ("conv-channels", lambda: nn.Conv2d(0, 4, 3), ConfigError, ["Conv2d", "in_channels", "0"]),
    ("conv-float-channels", lambda: nn.Conv2d(3, 4.0, 3), ConfigTypeError,
     ["Conv2d", "out_channels", "4.0"]),
    ("conv-groups", lambda: nn.Conv2d(4, 6, 3, groups=4), ConfigError,
     ["Conv2d", "divisible by groups (4)"]),
    ("conv-padding-mode", lambda: nn.Conv2d(3, 4, 3, padding_mode="circular"), ConfigError,
     ["Conv2d", "padding_mode", "'circular'"]),
    # -- normalization
    ("batchnorm-eps-zero", lambda: nn.BatchNorm1d(3, eps=0), ConfigError,
     ["BatchNorm1d", "eps", "0", "> 0"]),
    ("batchnorm-eps-negative", lambda: nn.BatchNorm2d(3, eps=-1e-5), ConfigError,
     ["BatchNorm2d", "eps", "-1e-05"]),
    ("batchnorm-eps-nan", lambda: nn.BatchNorm2d(3, eps=math.nan), ConfigError,
     ["BatchNorm2d", "eps", "nan"]),
    ("batchnorm-momentum", lambda: nn.BatchNorm1d(3, momentum=2), ConfigError,
     ["BatchNorm1d", "momentum", "2", "[0, 1]"]),
    ("batchnorm-features-float", lambda: nn.BatchNorm1d(3.0), ConfigTypeError,
     ["BatchNorm1d", "num_features", "3.0"]),
    ("batchnorm-affine", lambda: nn.BatchNorm1d(3, affine="yes"), ConfigTypeError,
     ["BatchNorm1d", "affine", "'yes'"]),
    ("layernorm-eps", lambda: nn.LayerNorm(4, eps=0.0), ConfigError, ["LayerNorm", "eps", "0.0"]),
    ("layernorm-shape-float", lambda: nn.LayerNorm(2.5), ConfigTypeError,
     ["LayerNorm", "normalized_shape", "2.5"]),
    ("layernorm-shape-empty", lambda: nn.LayerNorm(()), ConfigTypeError,
     ["LayerNorm", "normalized_shape", "()"]),
    ("F.batch_norm-eps", lambda: F.batch_norm(minidl.randn(4, 3), None, None, training=True,
                                              eps=0), ConfigError, ["batch_norm", "eps"]),
    ("F.batch_norm-momentum", lambda: F.batch_norm(
        minidl.randn(4, 3), minidl.zeros(3), minidl.ones(3), training=True, momentum=-0.1),
     ConfigError, ["batch_norm", "momentum", "-0.1"]),
    ("F.layer_norm-eps", lambda: F.layer_norm(minidl.randn(2, 4), 4, eps=-1.0), ConfigError,
     ["layer_norm", "eps", "-1.0"]),
    ("F.layer_norm-shape", lambda: F.layer_norm(minidl.randn(2, 4), "4"), ConfigTypeError,
     ["layer_norm", "normalized_shape", "'4'"]),
    ("F.batch_norm-weight", lambda: F.batch_norm(minidl.randn(4, 3), None, None, [1.0] * 3,
                                                 training=True), DTypeError,
     ["batch_norm", "weight", "list"]),
    ("F.layer_norm-bias", lambda: F.layer_norm(minidl.randn(2, 4), 4, None, np.zeros(4)),
     DTypeError, ["layer_norm", "bias", "ndarray"]),
    # -- activations
    ("gelu-approximate", lambda: nn.GELU("erf"), ConfigError, ["GELU", "'erf'", "'tanh'"]),
    ("F.gelu-approximate", lambda: F.gelu(minidl.randn(3), "erf"), ConfigError,
     ["gelu", "'erf'"]),
    ("leaky-slope", lambda: nn.LeakyReLU("0.1"), ConfigTypeError,
     ["LeakyReLU", "negative_slope", "'0.1'"]),
    ("F.leaky-slope", lambda: F.leaky_relu(minidl.randn(3), None), ConfigTypeError,
     ["leaky_relu", "negative_slope", "None"]),
    ("softplus-beta-zero", lambda: nn.Softplus(beta=0), ConfigError, ["Softplus", "beta", "0"]),
    ("F.softplus-beta", lambda: F.softplus(minidl.randn(3), beta="2"), ConfigTypeError,
     ["softplus", "beta", "'2'"]),
    ("F.softplus-beta-inf", lambda: F.softplus(minidl.randn(3), beta=-math.inf), ConfigError,
     ["softplus", "beta", "-inf", "finite"]),
    ("softmax-dim", lambda: nn.Softmax(dim=None), ConfigTypeError, ["Softmax", "dim", "None"]),
    ("logsoftmax-dim", lambda: nn.LogSoftmax(dim=1.0), ConfigTypeError,
     ["LogSoftmax", "dim", "1.0"]),
    # -- losses
    ("ce-reduction", lambda: nn.CrossEntropyLoss(reduction="avg"), ConfigError,
     ["CrossEntropyLoss", "reduction", "'avg'", "'mean'"]),
    ("ce-reduction-none", lambda: nn.CrossEntropyLoss(reduction=None), ConfigError,
     ["CrossEntropyLoss", "reduction", "None"]),
    ("ce-smoothing-string", lambda: nn.CrossEntropyLoss(label_smoothing="0.1"), ConfigTypeError,
     ["CrossEntropyLoss", "label_smoothing", "'0.1'"]),
    ("ce-smoothing-nan", lambda: F.cross_entropy(minidl.randn(2, 3), minidl.tensor([0, 1]),
                                                 label_smoothing=math.nan), ConfigError,
     ["cross_entropy", "label_smoothing", "nan"]),
    ("ce-ignore-index", lambda: nn.CrossEntropyLoss(ignore_index=1.5), ConfigTypeError,
     ["CrossEntropyLoss", "ignore_index", "1.5"]),
    ("F.ce-ignore-index", lambda: F.cross_entropy(minidl.randn(2, 3), minidl.tensor([0, 1]),
                                                  ignore_index="none"), ConfigTypeError,
     ["cross_entropy", "ignore_index", "'none'"]),
    ("nll-ignore-index", lambda: nn.NLLLoss(ignore_index=None), ConfigTypeError,
     ["NLLLoss", "ignore_index", "None"]),
    ("ce-weight-list", lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0]), ConfigTypeError,
     ["CrossEntropyLoss", "weight", "list"]),
    ("ce-weight-int", lambda: nn.CrossEntropyLoss(weight=minidl.tensor([1, 2])), DTypeError,
     ["CrossEntropyLoss", "weight", "int64"]),
    ("bce-pos-weight", lambda: nn.BCEWithLogitsLoss(pos_weight=np.ones(3)), ConfigTypeError,
     ["BCEWithLogitsLoss", "pos_weight", "ndarray"]),
    ("ce-no-classes", lambda: F.cross_entropy(minidl.zeros(2, 0), minidl.tensor([0, 0])),
     ShapeError, ["cross_entropy", "(2, 0)", "no classes"]),
    ("huber-delta-nan", lambda: nn.HuberLoss(delta=math.nan), ConfigError,
     ["HuberLoss", "delta", "nan"]),
    ("F.huber-delta", lambda: F.huber_loss(minidl.randn(2), minidl.randn(2), delta=-1.0),
     ConfigError, ["huber_loss", "delta", "-1.0"]),
    ("margin-p-float", lambda: nn.MultiMarginLoss(p=1.0), ConfigError,
     ["MultiMarginLoss", "p", "1.0"]),
    ("margin-margin", lambda: nn.MultiMarginLoss(margin="1"), ConfigTypeError,
     ["MultiMarginLoss", "margin", "'1'"]),
    ("F.mse-reduction", lambda: F.mse_loss(minidl.randn(2), minidl.randn(2), reduction="mea"),
     ConfigError, ["mse_loss", "reduction", "'mea'"]),
    # -- init
    ("init-std", lambda: init.normal_(minidl.zeros(3), std=-1.0), ConfigError,
     ["normal_", "std", "-1.0"]),
    ("init-array", lambda: init.uniform_(np.zeros(3)), ConfigTypeError,
     ["uniform_", "ndarray"]),
    ("init-constant", lambda: init.constant_(minidl.zeros(3), "1"), ConfigTypeError,
     ["constant_", "val", "'1'"]),
    ("init-mode", lambda: init.kaiming_normal_(minidl.zeros(3, 3), mode="fan"), ConfigError,
     ["init", "mode", "'fan'"]),
    ("init-fans-array", lambda: init.xavier_uniform_(np.zeros((3, 3))), ConfigTypeError,
     ["init", "ndarray"]),
    ("init-gain-inf", lambda: init.xavier_normal_(minidl.zeros(3, 3), gain=math.inf),
     ConfigError, ["xavier_normal_", "gain", "inf"]),
    ("init-gain-string", lambda: init.xavier_uniform_(minidl.zeros(3, 3), gain="2"),
     ConfigTypeError, ["xavier_uniform_", "gain", "'2'"]),
    ("init-slope-nan", lambda: init.kaiming_uniform_(minidl.zeros(3, 3), a=math.nan),
     ConfigTypeError, ["calculate_gain", "negative_slope", "nan"]),
    # -- modules and containers
    ("module-train-mode", lambda: nn.Linear(2, 2).train("yes"), ConfigError,
     ["train", "bool", "'yes'"]),
    ("module-parameter-type", lambda: nn.Linear(2, 2).register_parameter("w", minidl.ones(2)),
     ConfigTypeError, ["parameter 'w'", "Parameter"]),
    ("module-buffer-type", lambda: nn.Linear(2, 2).register_buffer("b", [1.0]),
     ConfigTypeError, ["buffer 'b'", "list"]),
    ("module-buffer-exists", lambda: nn.Linear(2, 2).register_buffer("weight", minidl.ones(2)),
     ConfigKeyError, ["'weight' already exists"]),
    ("module-name-dot", lambda: nn.Linear(2, 2).register_buffer("a.b", minidl.ones(2)),
     ConfigKeyError, ["buffer name", "'a.b'"]),
    ("module-name-type", lambda: nn.Linear(2, 2).add_module(3, nn.ReLU()), ConfigTypeError,
     ["module name", "int"]),
    ("sequential-item", lambda: nn.Sequential(nn.ReLU(), "tanh"), ConfigTypeError,
     ["Sequential", "module '1'", "str is not a Module"]),
    ("modulelist-module", lambda: nn.ModuleList(nn.ReLU()), ConfigTypeError,
     ["ModuleList.extend", "ReLU"]),
    ("moduledict-list", lambda: nn.ModuleDict([nn.ReLU()]), ConfigTypeError,
     ["ModuleDict.update", "pairs"]),
    ("sequential-index-type", lambda: nn.Sequential(nn.ReLU())["0"], OutOfRangeError,
     ["Sequential", "'0'", "not an integer"]),
    ("moduledict-missing", lambda: nn.ModuleDict({"a": nn.ReLU()})["b"], ConfigKeyError,
     ["ModuleDict has no module 'b'", "['a']"]),
    ("moduledict-unhashable", lambda: nn.ModuleDict({"a": nn.ReLU()})[["a"]], ConfigKeyError,
     ["ModuleDict has no module ['a']"]),
    ("get-submodule-type", lambda: nn.Sequential(nn.ReLU()).get_submodule(0), ConfigTypeError,
     ["get_submodule", "int"]),
    ("load-state-list", lambda: nn.Linear(2, 2).load_state_dict([1, 2]), ConfigTypeError,
     ["load_state_dict for Linear", "list"]),
]


@pytest.mark.parametrize("call, error, words", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_configuration_is_a_minidl_error_naming_it(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, MinidlError)
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"


def test_config_error_classes_are_the_builtins_pytorch_raises():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigTypeError, TypeError) and issubclass(ConfigTypeError, ConfigError)
    assert issubclass(ConfigKeyError, KeyError)
    # A KeyError would print its message in quotes; this one prints it as written.
    assert str(ConfigKeyError("attribute 'w' already exists")) == "attribute 'w' already exists"


def test_valid_edge_values_are_accepted():
    nn.BatchNorm1d(3, momentum=None)
    nn.BatchNorm1d(3, momentum=0.0, eps=1e-12)
    nn.LayerNorm(minidl.Size([2, 3]))
    nn.LayerNorm([4], eps=1e-6)
    nn.Unflatten(1, (-1, 4))
    nn.Conv2d(np.int64(3), 4, 3)
    nn.Softmax(dim=np.int64(-1))
    nn.CrossEntropyLoss(label_smoothing=np.float32(0.1), ignore_index=np.int64(-1))
    nn.ModuleDict([("a", nn.ReLU())])
    init.kaiming_uniform_(minidl.zeros(0, 3))  # nothing to fill: a no-op, as in PyTorch


# ------------------------------------------------------------------ load_state_dict: all or none
def two_layers():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def snapshot(model):
    return {k: np.array(v._array) for k, v in model.state_dict().items()}


BAD_VALUES = [
    ("string-array", np.array([["a"] * 4] * 2), ["'2.weight'", "<U1"]),
    ("object-array", np.array([[1.0, None, 2.0, 3.0]] * 2, dtype=object), ["'2.weight'", "object"]),
    ("complex-array", np.ones((2, 4), dtype=np.complex128), ["'2.weight'", "complex128"]),
    ("wrong-shape", minidl.zeros(4, 2), ["size mismatch for '2.weight'", "(4, 2)", "(2, 4)"]),
    ("list", [[0.0] * 4] * 2, ["'2.weight'", "list"]),
]


@pytest.mark.parametrize("value, words", [case[1:] for case in BAD_VALUES],
                         ids=[case[0] for case in BAD_VALUES])
def test_a_failed_load_changes_nothing(value, words):
    """The last key is bad: every earlier one must still hold its old value afterwards."""
    model, donor = two_layers(), two_layers()
    for p in donor.parameters():
        p._array += 1.0  # so that a partial load would show
    state = dict(donor.state_dict())
    state["2.weight"] = value
    before = snapshot(model)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    for word in ["Sequential", *words]:
        assert word in str(info.value), f"{word!r} not in: {info.value}"
    after = snapshot(model)
    for key, array in before.items():
        np.testing.assert_array_equal(array, after[key], err_msg=key)


def test_every_problem_is_reported_at_once():
    state = dict(two_layers().state_dict())
    state["0.bias"] = np.array(["x"] * 4)
    state["1.num_batches_tracked"] = minidl.tensor(2.5)  # a fraction of a batch
    state["2.weight"] = minidl.zeros(1)
    with pytest.raises(nn.StateDictError) as info:
        two_layers().load_state_dict(state)
    message = str(info.value)
    assert "'0.bias'" in message and "'2.weight'" in message
    assert "float32 value into a int64 buffer" in message


def test_a_good_load_converts_dtype_and_keeps_the_tensors():
    model = two_layers()
    weight = model[0].weight
    state = {k: np.asarray(v._array, dtype=np.float64) + 1 for k, v in model.state_dict().items()}
    state["1.num_batches_tracked"] = np.array(7, dtype=np.int32)
    model.load_state_dict(state)
    assert model[0].weight is weight and weight.dtype == minidl.float32
    np.testing.assert_allclose(weight._array, state["0.weight"].astype(np.float32))
    assert model[1].num_batches_tracked.item() == 7


# ------------------------------------------------------------- losses where nothing counts
@pytest.mark.parametrize("loss", [F.cross_entropy, cross_entropy_composed, F.nll_loss],
                         ids=["cross_entropy", "composed", "nll_loss"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("rows", [3, 0], ids=["all-ignored", "empty-batch"])
def test_nothing_counted_gives_nan_loss_and_zero_gradients(loss, smoothing, rows):
    """As PyTorch: the mean over no targets is NaN (0/0), but no target pulls on the logits, so
    the gradient is zero, not NaN; and NumPy is never asked to divide 0 by 0 (no warning)."""
    if loss is F.nll_loss and smoothing:
        return
    extra = {"label_smoothing": smoothing} if smoothing else {}
    x = minidl.randn(rows, 4, requires_grad=True)
    target = minidl.full((rows,), -100, dtype=minidl.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(x, target, **extra)
        value.backward()
    assert math.isnan(value.item()) and value.dtype == minidl.float32
    np.testing.assert_array_equal(x.grad._array, np.zeros((rows, 4)))


def test_nothing_counted_matches_pytorch():
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    for weight in (None, np.array([0.0, 1.0, 1.0, 1.0, 1.0], np.float32)):
        target = [-100, -100, -100] if weight is None else [0, 0, -100]
        x = minidl.tensor(logits, requires_grad=True)
        w = None if weight is None else minidl.tensor(weight)
        value = F.cross_entropy(x, minidl.tensor(target), w)
        value.backward()
        tx = torch.tensor(logits, requires_grad=True)
        tw = None if weight is None else torch.tensor(weight)
        expected = torch.nn.functional.cross_entropy(tx, torch.tensor(target), tw)
        expected.backward()
        assert math.isnan(value.item()) and math.isnan(expected.item())
        if weight is None:  # PyTorch's gradient is zero here (NaN for all-zero class weights)
            np.testing.assert_array_equal(x.grad._array, tx.grad.numpy())


def test_second_derivative_when_nothing_counts():
    x = minidl.randn(2, 3, requires_grad=True)
    value = F.cross_entropy(x, minidl.tensor([-100, -100]))
    (gx,) = minidl.grad(value, [x], create_graph=True)
    gx.sum().backward()
    np.testing.assert_array_equal(x.grad._array, 0.0)
