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
20. minidl/ops/masking.py              tril, triu, masked_fill
21. minidl/ops/sampling.py             topk, multinomial
22. minidl/ops/lstm_cell.py            an LSTM cell's gate arithmetic, fused
What the ops stand on
23. minidl/dtypes.py                   dtype names, the default float
24. minidl/ops/operands.py             dtype promotion, Python scalars
25. minidl/ops/dims.py                 dims and broadcast shapes
26. minidl/ops/dtype_checks.py         the floating-point check
27. minidl/inplace.py                  in-place methods, version counters
28. minidl/handles.py                  RemovableHandle, returned by every register_*_hook
29. minidl/errors.py                   minidl's exceptions
30. minidl/backend.py                  the only file that knows about NumPy vs CuPy
Making tensors, and checking gradients
31. minidl/creation.py                 tensor(), zeros(), randn(), ...
32. minidl/testing.py                  gradcheck, gradgradcheck
Neural networks
33. minidl/nn/parameter.py             Parameter: a tensor a Module trains
34. minidl/config_checks.py            ConfigError checks of sizes, rates and choices
35. minidl/nn/module.py                Module: registration, train/eval, state_dict, to()
36. minidl/nn/containers.py            Sequential, ModuleList, ModuleDict
37. minidl/nn/init.py                  weight initialization
38. minidl/nn/layers/linear.py         Linear, Flatten
39. minidl/nn/functional.py            F.linear, F.dropout, ... (the layers' math)
40. minidl/nn/layers/activation.py     ReLU, Tanh, Softmax, ...
41. minidl/nn/activation_functional.py F.relu, F.gelu, ...
42. minidl/nn/layers/dropout.py        Dropout
43. minidl/nn/layers/conv.py           Conv2d
44. minidl/nn/layers/pooling.py        MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
45. minidl/nn/layers/normalization.py  BatchNorm1d/2d, LayerNorm
46. minidl/nn/normalization_functional.py  F.batch_norm, F.layer_norm
47. minidl/nn/losses.py                CrossEntropyLoss, MSELoss, ...
48. minidl/nn/loss_functional.py       F.cross_entropy, F.mse_loss, ...
49. minidl/nn/regularization.py        l1_penalty
50. minidl/nn/clip.py                  clip_grad_norm_, clip_grad_value_
51. minidl/nn/hooks.py                 Module backward hooks
52. minidl/nn/layer_stats.py           LayerStats: per-layer statistics while training
53. minidl/nn/utils.py                 nn.utils (PyTorch's module of that name)
54. minidl/nn/embedding_functional.py  F.embedding
55. minidl/nn/layers/embedding.py      Embedding
56. minidl/nn/recurrent_functional.py  the steps of RNN, LSTM, GRU
57. minidl/nn/layers/recurrent.py      RNN, LSTM, GRU and their cells
58. minidl/nn/attention_functional.py  F.scaled_dot_product_attention
59. minidl/nn/layers/attention.py      MultiheadAttention
60. minidl/nn/layers/transformer.py    TransformerEncoderLayer, ...
Optimizers
61. minidl/optim/optimizer.py          Optimizer: parameter groups, state, zero_grad
62. minidl/optim/sgd.py                SGD, momentum, Nesterov
63. minidl/optim/ewa_momentum.py       the course notes' momentum (an average of gradients)
64. minidl/optim/adagrad.py            Adagrad
65. minidl/optim/rmsprop.py            RMSprop
66. minidl/optim/adam.py               Adam, AdamW
67. minidl/optim/lr_scheduler.py       learning-rate schedules
68. minidl/optim/plateau.py            ReduceLROnPlateau
Data
69. minidl/data/dataset.py             Dataset, TensorDataset, random_split, KFold
70. minidl/data/dataloader.py          DataLoader: batches
71. minidl/data/datasets/idx.py        the IDX file format
72. minidl/data/datasets/download.py   downloading and verifying files
73. minidl/data/datasets/mnist.py      MNIST, FashionMNIST
Saving, and training
74. minidl/atomic_file.py              writing a file all at once, or not at all
75. minidl/serialization.py            minidl.save, minidl.load: safetensors + JSON
76. minidl/train/checkpoint.py         a run's whole state, last and best, in one file
77. minidl/train/rng.py                the random states a checkpoint holds
78. minidl/train/early_stopping.py     EarlyStopping
79. minidl/train/history.py            the metrics of every epoch
80. minidl/train/progress.py           the progress bar
Training on several processes (data parallelism over MPI)
81. minidl/distributed/process_group.py  init_process_group, ranks, what a failing rank does
82. minidl/distributed/collectives.py  all_reduce, broadcast, ... on Tensors, in place
83. minidl/distributed/objects.py      all_gather_object, broadcast_object_list (JSON)
84. minidl/distributed/nccl.py         GPU to GPU through NCCL
85. minidl/data/distributed.py         DistributedSampler: each rank's share of the data
86. minidl/nn/parallel/reducer.py      averaging gradients in buckets, during backward
87. minidl/nn/parallel/distributed.py  DistributedDataParallel
The lessons' tools
88. minidl/analysis.py                 Hessians, Hessian-vector products, critical points
89. minidl/tune.py                     hyperparameter search
90. minidl/backward_trace.py           the backward pass, step by step
91. minidl/viz.py                      the graph, drawn
92. minidl/explorer.py                 the graph and its backward pass, as a page to click
93. minidl/module_boxes.py             which module made each node (the page's boxes)
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
from minidl.ops.masking import masked_fill, tril, triu
from minidl.ops.sampling import multinomial, topk
from minidl.serialization import CheckpointError, load, save

clip = clamp
__version__ = "0.1.0"

# The subpackages, imported last: they build on everything above.
from minidl import data, distributed, nn, optim, viz  # noqa: E402
