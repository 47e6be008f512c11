"""The primitive operations, grouped by kind, forward and backward side by side.

Reading order (the one in ``minidl/__init__.py``): arithmetic -> unary -> compare -> reduce ->
softmax -> shape -> indexing -> linalg -> conv -> pool -> convert -> special -> cross_entropy ->
batch_norm (the last two fused); then what they stand on:
operands (dtype promotion) -> dims -> dtype_checks. Every public function here is also a
``minidl.`` function and, where PyTorch has one, a Tensor method.
"""
from minidl.ops.arithmetic import add, div, mul, neg, pow, sub
from minidl.ops.compare import (
    clamp,
    compare,
    isfinite,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    where,
)
from minidl.ops.convert import cast, to_device
from minidl.ops.dims import normalize_dim
from minidl.ops.indexing import getitem, index_arrays
from minidl.ops.linalg import matmul
from minidl.ops.reduce import all, any, argmax, argmin, max, mean, min, std, sum, var
from minidl.ops.shape import (
    broadcast_to,
    cat,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
)
from minidl.ops.softmax import log_softmax, logsumexp, softmax
from minidl.ops.unary import abs, cos, exp, log, relu, sigmoid, sign, sin, sqrt, tanh
