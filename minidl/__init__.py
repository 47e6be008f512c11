"""minidl: a from-scratch reverse-mode autograd deep-learning framework (NumPy, or CuPy on GPUs).

Reading order for learners: every module, once. Each module's docstring ends with "Read next:",
naming the module after it in this list (``tests/test_reading_order.py`` checks that it does).

The core: a tensor, an op, a graph node, the engine
 1. minidl/tensor.py                   the Tensor: an array plus grad, grad_fn, requires_grad
 2. minidl/function.py                 Function: forward on arrays, backward on Tensors
 3. minidl/node.py                     Node: one graph node (ctx), its saved tensors
 4. minidl/autograd.py                 the backward engine (the chain rule), backward(), grad()
 5. minidl/grad_mode.py                no_grad, enable_grad, detect_anomaly
The primitives, forward and backward side by side
 6. minidl/ops/arithmetic.py           + - * / ** and negation
 7. minidl/ops/unary.py                exp, log, tanh, relu, ...
 8. minidl/ops/compare.py              maximum, minimum, clamp, where, comparisons
 9. minidl/ops/reduce.py               sum, mean, var, max, min
10. minidl/ops/softmax.py              logsumexp, softmax, log_softmax
11. minidl/ops/shape.py                reshape, transpose, cat, pad, broadcast_to, sum_to
12. minidl/ops/indexing.py             x[key], and its scatter-add backward
13. minidl/ops/linalg.py               matmul
14. minidl/ops/conv.py                 conv2d as im2col and one matmul
15. minidl/ops/pool.py                 max and average pooling
16. minidl/ops/convert.py              dtype and device changes
17. minidl/ops/special.py              erf, softplus
18. minidl/ops/cross_entropy.py        softmax cross-entropy, fused
19. minidl/ops/batch_norm.py           batch normalization's training step, fused
What the ops stand on
20. minidl/dtypes.py                   dtype names, the default float
21. minidl/ops/operands.py             dtype promotion, Python scalars
22. minidl/ops/dims.py                 dims and broadcast shapes
23. minidl/ops/dtype_checks.py         the floating-point check
24. minidl/inplace.py                  in-place methods, version counters
25. minidl/handles.py                  RemovableHandle, returned by every register_*_hook
26. minidl/errors.py                   minidl's exceptions
27. minidl/backend.py                  the only file that knows about NumPy vs CuPy
Making tensors, and checking gradients
28. minidl/creation.py                 tensor(), zeros(), randn(), ...
29. minidl/testing.py                  gradcheck, gradgradcheck
Neural networks
30. minidl/nn/parameter.py             Parameter: a tensor a Module trains
31. minidl/config_checks.py            ConfigError checks of sizes, rates and choices
32. minidl/nn/module.py                Module: registration, train/eval, state_dict, to()
33. minidl/nn/containers.py            Sequential, ModuleList, ModuleDict
34. minidl/nn/init.py                  weight initialization
35. minidl/nn/layers/linear.py         Linear, Flatten
36. minidl/nn/functional.py            F.linear, F.dropout, ... (the layers' math)
37. minidl/nn/layers/activation.py     ReLU, Tanh, Softmax, ...
38. minidl/nn/activation_functional.py F.relu, F.gelu, ...
39. minidl/nn/layers/dropout.py        Dropout
40. minidl/nn/layers/conv.py           Conv2d
41. minidl/nn/layers/pooling.py        MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
42. minidl/nn/layers/normalization.py  BatchNorm1d/2d, LayerNorm
43. minidl/nn/normalization_functional.py  F.batch_norm, F.layer_norm
44. minidl/nn/losses.py                CrossEntropyLoss, MSELoss, ...
45. minidl/nn/loss_functional.py       F.cross_entropy, F.mse_loss, ...
46. minidl/nn/regularization.py        l1_penalty
47. minidl/nn/clip.py                  clip_grad_norm_, clip_grad_value_
48. minidl/nn/hooks.py                 Module backward hooks
49. minidl/nn/layer_stats.py           LayerStats: per-layer statistics while training
50. minidl/nn/utils.py                 nn.utils (PyTorch's module of that name)
Optimizers
51. minidl/optim/optimizer.py          Optimizer: parameter groups, state, zero_grad
52. minidl/optim/sgd.py                SGD, momentum, Nesterov
53. minidl/optim/ewa_momentum.py       the course notes' momentum (an average of gradients)
54. minidl/optim/adagrad.py            Adagrad
55. minidl/optim/rmsprop.py            RMSprop
56. minidl/optim/adam.py               Adam, AdamW
57. minidl/optim/lr_scheduler.py       learning-rate schedules
58. minidl/optim/plateau.py            ReduceLROnPlateau
Data
59. minidl/data/dataset.py             Dataset, TensorDataset, random_split, KFold
60. minidl/data/dataloader.py          DataLoader: batches
61. minidl/data/datasets/idx.py        the IDX file format
62. minidl/data/datasets/download.py   downloading and verifying files
63. minidl/data/datasets/mnist.py      MNIST, FashionMNIST
Saving, and training
64. minidl/atomic_file.py              writing a file all at once, or not at all
65. minidl/serialization.py            minidl.save, minidl.load: safetensors + JSON
66. minidl/train/checkpoint.py         a run's whole state, last and best, in one file
67. minidl/train/rng.py                the random states a checkpoint holds
68. minidl/train/early_stopping.py     EarlyStopping
69. minidl/train/history.py            the metrics of every epoch
70. minidl/train/progress.py           the progress bar
Training on several processes (data parallelism over MPI)
71. minidl/distributed/process_group.py  init_process_group, ranks, what a failing rank does
72. minidl/distributed/collectives.py  all_reduce, broadcast, ... on Tensors, in place
73. minidl/distributed/objects.py      all_gather_object, broadcast_object_list (JSON)
74. minidl/distributed/nccl.py         GPU to GPU through NCCL
75. minidl/data/distributed.py         DistributedSampler: each rank's share of the data
76. minidl/nn/parallel/reducer.py      averaging gradients in buckets, during backward
77. minidl/nn/parallel/distributed.py  DistributedDataParallel
The lessons' tools
78. minidl/analysis.py                 Hessians, Hessian-vector products, critical points
79. minidl/tune.py                     hyperparameter search
80. minidl/backward_trace.py           the backward pass, step by step
81. minidl/viz.py                      the graph, drawn
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
    ConfigError,
    DeviceError,
    DimError,
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
from minidl.serialization import CheckpointError, load, save

clip = clamp
__version__ = "0.1.0"

# The subpackages, imported last: they build on everything above.
from minidl import data, distributed, nn, optim, viz  # noqa: E402
