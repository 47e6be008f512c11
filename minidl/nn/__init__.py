"""minidl.nn: building blocks for neural networks, with PyTorch's names (``torch.nn``).

Reading order:

1. ``parameter.py``   Parameter, a Tensor that a Module learns
2. ``module.py``      Module: registration, parameters(), train()/eval(), to(), state_dict()
3. ``containers.py``  Sequential, ModuleList, ModuleDict
4. ``functional.py``  the stateless math (``import minidl.nn.functional as F``), with
                      ``activation_functional.py`` and ``loss_functional.py``
5. ``layers/``        Linear, activations, Dropout, convolution, pooling, normalization,
                      Embedding, RNN/LSTM/GRU, MultiheadAttention, Transformer layers
6. ``losses.py``      the losses as Modules
7. ``init.py``        weight initialization;  ``utils.py``  parameter counting, and the helpers
                      of ``clip.py`` (gradient clipping), ``regularization.py`` (L1 penalty),
                      ``hooks.py`` (backward hooks) and ``layer_stats.py`` (per-layer statistics)
"""
from minidl.nn import functional, init, parallel, utils
from minidl.nn.containers import ModuleDict, ModuleList, Sequential
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
from minidl.nn.layers.sync_batch_norm import SyncBatchNorm
from minidl.nn.layers.transformer import TransformerEncoder, TransformerEncoderLayer
from minidl.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from minidl.nn.module import IncompatibleKeys, Module
from minidl.nn.parameter import Parameter
from minidl.nn.state_checks import StateDictError

