"""The primitive operations, grouped by kind, forward and backward side by side.

Reading order: arithmetic -> unary -> compare -> reduce -> softmax -> shape -> indexing ->
linalg -> convert. Every public function here is also a ``minidl.`` function and, where PyTorch
has one, a Tensor method.
"""
from minidl.ops.arithmetic import add, div, mul, neg, pow, sub  # noqa: F401
from minidl.ops.compare import (clamp, compare, isfinite, logical_and, logical_not,  # noqa: F401
                                logical_or, maximum, minimum, where)
from minidl.ops.convert import cast, to_device  # noqa: F401
from minidl.ops.dims import normalize_dim  # noqa: F401
from minidl.ops.indexing import getitem, index_arrays  # noqa: F401
from minidl.ops.linalg import matmul  # noqa: F401
from minidl.ops.reduce import (all, any, argmax, argmin, max, mean, min, std, sum,  # noqa: F401
                               var)
from minidl.ops.shape import (broadcast_to, cat, expand, flatten, pad, permute,  # noqa: F401
                              reshape, squeeze, stack, sum_to, transpose, unsqueeze)
from minidl.ops.softmax import log_softmax, logsumexp, softmax  # noqa: F401
from minidl.ops.unary import abs, cos, exp, log, relu, sigmoid, sign, sin, sqrt, tanh  # noqa: F401
