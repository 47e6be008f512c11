"""The layers: Linear and shape helpers, activations, Dropout, convolution, pooling and
normalization.

Read first: ``linear.py``.
"""
from minidl.nn.layers.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from minidl.nn.layers.conv import Conv2d
from minidl.nn.layers.dropout import Dropout
from minidl.nn.layers.linear import Flatten, Identity, Linear, Unflatten
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minidl.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
