"""The layers: Linear and shape helpers, activations, Dropout, convolution, pooling,
normalization, and the sequence layers (embedding, recurrent, attention, transformer).

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
from minidl.nn.layers.activation_extra import RReLU, Softmax2d
from minidl.nn.layers.activation_more import (
    CELU,
    ELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from minidl.nn.layers.attention import MultiheadAttention
from minidl.nn.layers.bilinear import Bilinear
from minidl.nn.layers.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from minidl.nn.layers.distance import CosineSimilarity, PairwiseDistance
from minidl.nn.layers.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d
from minidl.nn.layers.embedding import Embedding
from minidl.nn.layers.linear import Flatten, Identity, Linear, Unflatten
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm
from minidl.nn.layers.padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from minidl.nn.layers.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxUnpool2d,
)
from minidl.nn.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from minidl.nn.layers.resampling import Fold, PixelShuffle, PixelUnshuffle, Unfold, Upsample
from minidl.nn.layers.sample_norm import (
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    RMSNorm,
)
from minidl.nn.layers.transformer import TransformerEncoder, TransformerEncoderLayer
