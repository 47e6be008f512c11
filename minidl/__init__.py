"""minidl: a from-scratch reverse-mode autograd deep-learning framework (NumPy, or CuPy on GPUs).

Reading order for learners:

1. ``minidl/tensor.py``     the Tensor: an array plus what autograd needs (grad, grad_fn, version)
2. ``minidl/function.py``   Function: an op's forward on arrays and backward on Tensors
   ``minidl/node.py``       Node: one graph node (the ctx of forward/backward, saved tensors)
   ``minidl/autograd.py``   the backward engine (the chain rule), backward(), grad();
                            ``grad_mode.py`` holds the no_grad / detect_anomaly switches
3. ``minidl/ops/``          the primitives, forward and backward side by side
                            (arithmetic, unary, compare, reduce, softmax, shape, indexing, linalg,
                            conv, pool)
4. ``minidl/creation.py``   tensor(), zeros(), randn(), ...
5. ``minidl/backend.py``    the only file that knows about NumPy vs CuPy
6. ``minidl/testing.py``    gradcheck: how every backward rule above is verified
7. ``minidl/nn``            modules, layers, losses, init; ``minidl/optim``: optimizers, schedules;
                            ``minidl/data``: datasets and loaders; ``minidl/train``: checkpoints
8. ``minidl/analysis.py``, ``tune.py``, ``viz.py``, ``trace.py``: the lessons' tools
"""
# tensor.py first: it is the root every other module imports (and it imports the ops last).
from minidl.tensor import Tensor

# isort: split
from minidl import autograd, backend
from minidl.autograd import (
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minidl.backend import Generator, manual_seed
from minidl.creation import (
    arange,
    as_tensor,
    empty,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from minidl.dtypes import (
    DEFAULT_DTYPE,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from minidl.errors import (
    AutogradError,
    DeviceError,
    DTypeError,
    MinidlError,
    OutOfRangeError,
    ShapeError,
)
from minidl.ops import (
    abs,
    add,
    all,
    any,
    argmax,
    argmin,
    broadcast_to,
    cat,
    clamp,
    cos,
    div,
    exp,
    expand,
    flatten,
    isfinite,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pad,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    sum_to,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)

clip = clamp
__version__ = "0.1.0"

# The subpackages, imported last: they build on everything above.
from minidl import data, nn, optim, viz  # noqa: E402
