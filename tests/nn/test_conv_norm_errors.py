"""Bad inputs to the convolution, pooling and normalization layers: one table.

Each row: what is called, the exception expected (a minidl error for inputs that do not fit,
ValueError for bad hyperparameters), and the words its message must contain: the layer (as
its repr) or the function, and the offending shapes or values.

Read next: ``minidl/ops/conv.py``.
"""
import numpy as np
import pytest

import minidl
from minidl.errors import DTypeError, MinidlError, ShapeError
from minidl.nn.layers.conv import Conv2d
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minidl.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minidl.nn.normalization_functional import batch_norm, layer_norm
from minidl.ops.conv import conv2d
from minidl.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d


def x(*shape, dtype=minidl.float32):
    return minidl.zeros(*shape, dtype=dtype)


CASES = [
    # (id, call, exception, words in the message)
    ("conv rank", lambda: Conv2d(3, 8, 3)(x(28, 28)),
     ShapeError, ["Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))", "4-D", "(28, 28)"]),
    ("conv channels", lambda: Conv2d(3, 8, 3)(x(2, 4, 28, 28)),
     ShapeError, ["Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)): expected input with 3 "
                  "channels, got shape (2, 4, 28, 28)"]),
    ("conv kernel larger than padded input", lambda: Conv2d(3, 8, 5, padding=1)(x(1, 3, 2, 9)),
     ShapeError, ["Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1), padding=(1, 1))",
                  "larger than the padded input (4x11", "(1, 3, 2, 9)"]),
    ("conv dilated kernel too large", lambda: Conv2d(1, 1, 3, dilation=3)(x(1, 1, 6, 6)),
     ShapeError, ["dilation=(3, 3)", "spanning 7x7", "(1, 1, 6, 6)"]),
    ("conv zero stride", lambda: Conv2d(3, 8, 3, stride=0),
     ValueError, ["Conv2d(3, 8, kernel_size=3)", "stride must be positive", "(0, 0)"]),
    ("conv zero kernel", lambda: Conv2d(3, 8, (3, 0)),
     ValueError, ["Conv2d(3, 8, kernel_size=(3, 0))", "kernel must be positive"]),
    ("conv negative padding", lambda: Conv2d(3, 8, 3, padding=(1, -1)),
     ValueError, ["Conv2d", "padding must be non-negative", "(1, -1)"]),
    ("conv zero dilation", lambda: Conv2d(3, 8, 3, dilation=0),
     ValueError, ["Conv2d", "dilation must be positive"]),
    ("conv non-integer kernel", lambda: Conv2d(3, 8, 2.5),
     ValueError, ["Conv2d", "kernel_size must be an int or a pair of ints", "2.5"]),
    ("conv groups not dividing channels", lambda: Conv2d(3, 8, 3, groups=2),
     ValueError, ["Conv2d(3, 8, kernel_size=3)", "divisible by groups (2)"]),
    ("conv padding mode", lambda: Conv2d(3, 8, 3, padding_mode="reflect"),
     ValueError, ["Conv2d", "padding_mode='zeros'", "'reflect'"]),
    ("conv2d channels", lambda: conv2d(x(1, 4, 5, 5), x(2, 3, 3, 3)),
     ShapeError, ["conv2d", "3 channels", "(1, 4, 5, 5)"]),
    ("conv2d weight rank", lambda: conv2d(x(1, 3, 5, 5), x(2, 3, 3)),
     ShapeError, ["conv2d", "4-D weight", "(2, 3, 3)"]),
    ("conv2d bias shape", lambda: conv2d(x(1, 3, 5, 5), x(2, 3, 3, 3), x(3)),
     ShapeError, ["conv2d", "bias of shape (2,)", "(3,)"]),
    ("conv2d dtypes", lambda: conv2d(x(1, 3, 5, 5, dtype=minidl.float64), x(2, 3, 3, 3)),
     DTypeError, ["conv2d", "float64", "float32"]),
    ("conv2d groups", lambda: conv2d(x(1, 4, 5, 5), x(3, 2, 3, 3), groups=2),
     ValueError, ["conv2d", "groups", "out_channels 3"]),
    ("max pool larger than input", lambda: MaxPool2d(3)(x(1, 1, 2, 2)),
     ShapeError, ["MaxPool2d(kernel_size=3, stride=3", "3x3 window", "(1, 1, 2, 2)"]),
    ("avg pool larger than input", lambda: AvgPool2d((2, 4))(x(2, 3, 5, 3)),
     ShapeError, ["AvgPool2d(kernel_size=(2, 4)", "2x4 window", "(2, 3, 5, 3)"]),
    ("max pool padding above half the kernel", lambda: MaxPool2d(2, padding=2),
     ValueError, ["MaxPool2d(kernel_size=2, stride=2, padding=2", "at most half"]),
    ("avg pool zero stride", lambda: AvgPool2d(2, stride=0),
     ValueError, ["AvgPool2d", "stride must be positive"]),
    ("pool rank", lambda: max_pool2d(x(4, 4), 2),
     ShapeError, ["max_pool2d", "4-D", "(4, 4)"]),
    ("pool integer input", lambda: avg_pool2d(x(1, 1, 4, 4, dtype=minidl.int64), 2),
     DTypeError, ["avg_pool2d", "floating-point", "int64"]),
    ("conv2d integer input", lambda: conv2d(x(1, 1, 4, 4, dtype=minidl.int64), x(1, 1, 3, 3)),
     DTypeError, ["conv2d", "floating-point", "int64"]),
    ("adaptive output size", lambda: AdaptiveAvgPool2d((0, 2))(x(1, 1, 4, 4)),
     ValueError, ["AdaptiveAvgPool2d(output_size=(0, 2))", "positive"]),
    ("adaptive rank", lambda: adaptive_avg_pool2d(x(5), 1),
     ShapeError, ["adaptive_avg_pool2d", "(5,)"]),
    ("batchnorm2d features", lambda: BatchNorm2d(16)(x(2, 8, 4, 4)),
     ShapeError, ["BatchNorm2d(16, eps=1e-05", "16 channels", "(2, 8, 4, 4)"]),
    ("batchnorm2d rank", lambda: BatchNorm2d(3)(x(2, 3, 4)),
     ShapeError, ["BatchNorm2d(3", "(N, C, H, W)", "(2, 3, 4)"]),
    ("batchnorm1d rank", lambda: BatchNorm1d(3)(x(2, 3, 4, 4)),
     ShapeError, ["BatchNorm1d(3", "(N, C) or (N, C, L)", "(2, 3, 4, 4)"]),
    ("batchnorm features", lambda: BatchNorm1d(0),
     ValueError, ["BatchNorm1d", "num_features", "0"]),
    ("batch_norm running stats", lambda: batch_norm(x(4, 3), None, None, training=False),
     ValueError, ["batch_norm", "running_mean and running_var"]),
    ("batch_norm weight shape", lambda: batch_norm(x(4, 3), None, None, x(4), training=True),
     ShapeError, ["batch_norm", "3 channels", "weight has shape (4,)"]),
    ("layernorm shape", lambda: LayerNorm(10)(x(2, 5)),
     ShapeError, ["LayerNorm((10,), eps=1e-05", "(10,)", "(2, 5)"]),
    ("layernorm trailing dims", lambda: LayerNorm((3, 4))(x(2, 4, 3)),
     ShapeError, ["LayerNorm((3, 4)", "(2, 4, 3)"]),
    ("layer_norm weight shape", lambda: layer_norm(x(2, 5), 5, x(4)),
     ShapeError, ["layer_norm", "weight has shape (4,)", "(5,)"]),
    ("layernorm normalized_shape", lambda: LayerNorm((3, 0)),
     ValueError, ["LayerNorm", "normalized_shape", "(3, 0)"]),
]


@pytest.mark.parametrize("call, error, words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    if error is not ValueError:  # input errors are minidl's own (hyperparameters: ValueError)
        assert isinstance(info.value, MinidlError)


def test_table_has_a_row_for_every_layer():
    names = " ".join(c[0] for c in CASES)
    for layer in ("conv", "max pool", "avg pool", "adaptive", "batchnorm2d", "batchnorm1d",
                  "layernorm"):
        assert layer in names
    assert len(CASES) >= 12
    assert np.unique([c[0] for c in CASES]).size == len(CASES)
