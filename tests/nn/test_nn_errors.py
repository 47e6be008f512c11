"""Bad inputs to layers, losses, init and state dicts: one table, one test.

Each row is a call that must fail, the minidl error type it must raise (ConfigError for bad
hyperparameters, a ValueError as in PyTorch), and the words its message must contain: the layer
or op, and the offending shapes or values. Every minidl error also derives from the matching
built-in (ShapeError from ValueError, DTypeError from TypeError, ...).
``test_nn_config_errors.py`` has the constructor arguments of every layer and loss.
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, DTypeError, MinidlError, OutOfRangeError, ShapeError
from minidl.nn import init
from minidl.nn.utils import vector_to_parameters


def logits(*shape):
    return minidl.randn(*shape)


def labels(*values):
    return minidl.tensor(list(values))


CASES = [
    # -- Linear
    ("linear-features", lambda: nn.Linear(784, 10)(logits(32, 100)), ShapeError,
     ["Linear(in_features=784, out_features=10", "last dimension 784", "(32, 100)"]),
    ("linear-rank-0", lambda: nn.Linear(3, 2)(minidl.tensor(1.0)), ShapeError,
     ["Linear(in_features=3", "shape ()"]),
    ("linear-dtype", lambda: nn.Linear(3, 2)(minidl.randn(4, 3, dtype=minidl.float64)),
     DTypeError, ["Linear(in_features=3", "float64", "float32"]),
    ("linear-int-input", lambda: nn.Linear(3, 2)(minidl.tensor([[1, 2, 3]])), DTypeError,
     ["Linear(", "int64"]),
    ("F.linear-features", lambda: F.linear(logits(32, 100), logits(10, 784)), ShapeError,
     ["linear", "(10, 784)", "last dimension 784", "(32, 100)"]),
    ("linear-size", lambda: nn.Linear(0, 3), ConfigError, ["Linear", "in_features", "0"]),
    # -- cross_entropy and nll_loss
    ("ce-float-target", lambda: F.cross_entropy(logits(4, 3), minidl.zeros(4)), DTypeError,
     ["cross_entropy", "integer class indices", "float32"]),
    ("ce-class-too-big", lambda: F.cross_entropy(logits(3, 10), labels(1, 12, 3)),
     OutOfRangeError, ["cross_entropy", "target 12", "10 classes", "[0, 9]"]),
    ("ce-negative-class", lambda: nn.CrossEntropyLoss()(logits(2, 4), labels(-1, 0)),
     OutOfRangeError, ["cross_entropy", "target -1", "4 classes", "ignore_index=-100"]),
    ("ce-batch", lambda: F.cross_entropy(logits(32, 10), labels(*range(10), *range(6))),
     ShapeError, ["cross_entropy", "(32,)", "(32, 10)", "(16,)"]),
    ("ce-reduction", lambda: F.cross_entropy(logits(2, 3), labels(0, 1), reduction="avg"),
     ConfigError, ["cross_entropy", "'avg'", "reduction"]),
    ("ce-smoothing", lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ConfigError,
     ["CrossEntropyLoss", "label_smoothing", "1.5"]),
    ("ce-weight-shape", lambda: F.cross_entropy(logits(2, 10), labels(0, 1), logits(3)),
     ShapeError, ["cross_entropy", "weight", "(10,)", "(3,)"]),
    ("nll-rank-0", lambda: F.nll_loss(minidl.tensor(0.5), labels(0)), ShapeError,
     ["nll_loss", "shape ()"]),
    ("nll-target-rank", lambda: nn.NLLLoss()(logits(4, 3), minidl.zeros(4, 3,
                                                                     dtype=minidl.int64)),
     ShapeError, ["nll_loss", "(4,)", "(4, 3)"]),
    ("ce-spatial-target", lambda: F.cross_entropy(logits(2, 3, 5), minidl.zeros(
        2, 4, dtype=minidl.int64)), ShapeError, ["cross_entropy", "(2, 5)", "(2, 4)"]),
    # -- regression losses and BCE
    ("mse-shapes", lambda: F.mse_loss(logits(3, 2), logits(3)), ShapeError,
     ["mse_loss", "(3,)", "(3, 2)", "broadcast"]),
    ("l1-int-target", lambda: nn.L1Loss()(logits(3), labels(1, 2, 3)), DTypeError,
     ["l1_loss", "target", "int64"]),
    ("huber-delta", lambda: nn.HuberLoss(delta=0.0), ConfigError,
     ["HuberLoss", "delta value: 0.0"]),
    ("huber-numpy-input", lambda: F.huber_loss(np.zeros(3), logits(3)), DTypeError,
     ["huber_loss", "input", "ndarray"]),
    ("mse-reduction", lambda: nn.MSELoss(reduction="avg"), ConfigError, ["MSELoss", "'avg'"]),
    ("bce-shapes", lambda: nn.BCEWithLogitsLoss()(logits(4, 1), minidl.rand(4)), ShapeError,
     ["binary_cross_entropy_with_logits", "(4,)", "(4, 1)"]),
    ("bce-pos-weight", lambda: F.binary_cross_entropy_with_logits(
        logits(4, 2), minidl.rand(4, 2), pos_weight=minidl.ones(3)), ShapeError,
     ["binary_cross_entropy_with_logits", "pos_weight", "(3,)", "(4, 2)"]),
    # -- multi_margin_loss
    ("margin-p", lambda: nn.MultiMarginLoss(p=3), ConfigError,
     ["MultiMarginLoss", "p value: 3"]),
    ("margin-rank", lambda: F.multi_margin_loss(logits(2, 3, 4), labels(0, 1)), ShapeError,
     ["multi_margin_loss", "(2, 3, 4)"]),
    ("margin-class", lambda: F.multi_margin_loss(logits(2, 3), labels(0, 3)), OutOfRangeError,
     ["multi_margin_loss", "target 3", "3 classes"]),
    # -- activations, dropout, one_hot, shapes
    ("dropout-p", lambda: nn.Dropout(1.0), ValueError, ["Dropout", "p=1.0", "[0, 1)"]),
    ("dropout-negative-p", lambda: F.dropout(logits(3), -0.5), ValueError,
     ["dropout", "p=-0.5"]),
    ("dropout-int", lambda: F.dropout(labels(1, 2), 0.5), DTypeError, ["dropout", "int64"]),
    ("gelu-approximate", lambda: nn.GELU(approximate="fast"), ConfigError, ["GELU", "'fast'"]),
    ("softmax-dim", lambda: nn.Softmax(dim=3)(logits(2, 3)), ShapeError,
     ["softmax", "dim 3", "2 dimensions"]),
    ("leaky-int", lambda: F.leaky_relu(labels(1, -2)), DTypeError, ["leaky_relu", "int64"]),
    ("one-hot-range", lambda: F.one_hot(labels(0, 5), 3), OutOfRangeError,
     ["one_hot", "[0, 3)", "[0, 5]"]),
    ("one-hot-float", lambda: F.one_hot(minidl.zeros(2)), DTypeError, ["one_hot", "float32"]),
    ("flatten-dims", lambda: nn.Flatten(2, 1)(logits(2, 3, 4)), ShapeError, ["flatten"]),
    # -- the convolution, pooling and normalization layers (minidl/nn/layers/)
    ("conv-channels", lambda: nn.Conv2d(3, 8, 3)(logits(2, 1, 8, 8)), ShapeError,
     ["Conv2d(3, 8", "3 channels", "(2, 1, 8, 8)"]),
    ("conv-window", lambda: nn.Conv2d(3, 8, 5)(logits(2, 3, 3, 3)), ShapeError,
     ["Conv2d(3, 8", "5x5", "(2, 3, 3, 3)"]),
    ("conv-dtype", lambda: nn.Conv2d(3, 8, 3)(minidl.randn(2, 3, 8, 8, dtype=minidl.float64)),
     DTypeError, ["Conv2d(3, 8", "float64", "float32"]),
    ("batchnorm-channels", lambda: nn.BatchNorm2d(4)(logits(2, 3, 5, 5)), ShapeError,
     ["BatchNorm2d(4", "4 channels", "(2, 3, 5, 5)"]),
    ("batchnorm1d-rank", lambda: nn.BatchNorm1d(4)(logits(2, 4, 5, 5)), ShapeError,
     ["BatchNorm1d(4", "(2, 4, 5, 5)"]),
    ("layernorm-shape", lambda: nn.LayerNorm(10)(logits(2, 9)), ShapeError,
     ["LayerNorm((10,)", "(10,)", "(2, 9)"]),
    ("maxpool-rank", lambda: nn.MaxPool2d(2)(logits(4, 4)), ShapeError,
     ["MaxPool2d(kernel_size=2", "(4, 4)"]),
    # -- init
    ("init-mode", lambda: init.kaiming_uniform_(logits(3, 3), mode="fan_avg"), ConfigError,
     ["mode", "'fan_avg'"]),
    ("init-nonlinearity", lambda: init.kaiming_normal_(logits(3, 3), nonlinearity="swish"),
     ConfigError, ["calculate_gain", "'swish'"]),
    ("init-gain-param", lambda: init.calculate_gain("leaky_relu", "steep"), ConfigTypeError,
     ["negative_slope", "'steep'"]),
    ("init-fans", lambda: init.xavier_uniform_(logits(5)), ShapeError,
     ["fewer than 2 dimensions", "(5,)"]),
    # -- modules, state dicts and utils
    ("state-missing", lambda: nn.Linear(2, 2).load_state_dict({"weight": minidl.zeros(2, 2)}),
     nn.StateDictError, ["Linear", "missing key(s): 'bias'"]),
    ("state-unexpected", lambda: nn.Linear(2, 2, bias=False).load_state_dict(
        {"weight": minidl.zeros(2, 2), "scale": minidl.ones(1)}), nn.StateDictError,
     ["Linear", "unexpected key(s): 'scale'"]),
    ("state-shape", lambda: nn.Sequential(nn.Linear(3, 2)).load_state_dict(
        {"0.weight": minidl.zeros(2, 2), "0.bias": minidl.zeros(2)}), nn.StateDictError,
     ["Sequential", "size mismatch for '0.weight'", "(2, 2)", "(2, 3)"]),
    ("module-to-int", lambda: nn.Linear(2, 2).to(minidl.int64), DTypeError,
     ["Module.to", "int64"]),
    ("sequential-index", lambda: nn.Sequential(nn.ReLU())[3], OutOfRangeError,
     ["Sequential", "index 3", "1 modules"]),
    ("vector-size", lambda: vector_to_parameters(minidl.zeros(5), nn.Linear(2, 2).parameters()),
     ShapeError, ["vector_to_parameters", "6 elements", "(5,)"]),
]


@pytest.mark.parametrize("call, error, words", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    if not issubclass(error, MinidlError):
        # Dropout's p is checked in minidl/nn/functional.py, which still raises ValueError.
        assert error is ValueError
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"

