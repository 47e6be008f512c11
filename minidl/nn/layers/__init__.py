"""The layers: Linear and shape helpers, activations, Dropout, convolution, pooling and
normalization.

Read first: ``linear.py``.
"""
from minidl.nn.layers.activation import (GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid,  # noqa: F401
                                         Softmax, Softplus, Tanh)
from minidl.nn.layers.conv import Conv2d  # noqa: F401
from minidl.nn.layers.dropout import Dropout  # noqa: F401
from minidl.nn.layers.linear import Flatten, Identity, Linear, Unflatten  # noqa: F401
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from minidl.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
