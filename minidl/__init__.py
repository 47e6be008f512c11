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
 9. minidl/ops/bitwise.py              & | ^ ~ << >> on integers (logical on bools)
10. minidl/ops/division.py             // and %: rounded division, remainder
11. minidl/ops/reduce.py               sum, mean, var, max, min
12. minidl/ops/softmax.py              logsumexp, softmax, log_softmax
12. minidl/ops/sort.py                 sort, argsort, kthvalue, median
12. minidl/ops/scan.py                 cumsum, cumprod, cummax, cummin, logcumsumexp
12. minidl/ops/product.py              prod, with an exact gradient at zeros
12. minidl/ops/extrema.py              amax, amin, aminmax
12. minidl/ops/moments.py              var_mean, std_mean
12. minidl/linalg.py                   minidl.linalg: vector_norm, matrix_norm, norm
13. minidl/ops/shape.py                reshape, transpose, cat, pad, broadcast_to, sum_to
14. minidl/ops/indexing.py             x[key], and its scatter-add backward
15. minidl/ops/linalg.py               matmul
16. minidl/ops/conv.py                 conv2d as im2col and one matmul
17. minidl/ops/pool.py                 max and average pooling
18. minidl/ops/convert.py              dtype and device changes
19. minidl/ops/special.py              erf, softplus
20. minidl/ops/cross_entropy.py        softmax cross-entropy, fused
21. minidl/ops/batch_norm.py           batch normalization's training step, fused
22. minidl/ops/masking.py              tril, triu, masked_fill
23. minidl/ops/sampling.py             topk, multinomial
24. minidl/ops/lstm_cell.py            an LSTM step, fused
25. minidl/ops/layer_norm.py           layer normalization, fused
26. minidl/ops/gelu.py                 GELU, fused
What the ops stand on
27. minidl/dtypes.py                   dtype names, the default float
28. minidl/ops/arguments.py            PyTorch's axis=, keepdims= and out= arguments
29. minidl/ops/operands.py             dtype promotion, Python scalars
30. minidl/ops/dims.py                 dims and broadcast shapes
31. minidl/ops/dtype_checks.py         the floating-point check
32. minidl/inplace.py                  in-place methods, version counters
33. minidl/handles.py                  RemovableHandle, returned by every register_*_hook
34. minidl/errors.py                   minidl's exceptions
35. minidl/backend.py                  the only file that knows about NumPy vs CuPy
PyTorch's spellings and namespaces
36. minidl/tensor_methods.py           x.exp(), x.sum(dim), x.view_as(y), ...: PyTorch's names
37. minidl/tensor_methods_math.py      x.floor(), x.tan(), ...: elementwise math
38. minidl/tensor_methods_reduce.py    x.prod(), x.cumsum(), x.sort(), ...
39. minidl/tensor_methods_shape.py     x.repeat(), x.flip(), x.gather(), ...
40. minidl/printing.py                 repr(tensor), as PyTorch prints it
41. minidl/cuda.py                     minidl.cuda.is_available(), device_count()
42. minidl/accelerator.py              minidl.accelerator, device-neutral
43. minidl/backends/mps.py             minidl.backends.mps: Apple GPUs (not available)
44. minidl/backends/cudnn.py           minidl.backends.cudnn: flags, without effect
Making tensors, and checking gradients
45. minidl/creation.py                 tensor(), zeros(), randn(), ...
46. minidl/testing.py                  gradcheck, gradgradcheck
Neural networks
47. minidl/nn/parameter.py             Parameter: a tensor a Module trains
48. minidl/config_checks.py            ConfigError checks of sizes, rates and choices
49. minidl/nn/module.py                Module: registration, train/eval, state_dict, to()
50. minidl/nn/containers.py            Sequential, ModuleList, ModuleDict
51. minidl/nn/init.py                  weight initialization
52. minidl/nn/layers/linear.py         Linear, Flatten
53. minidl/nn/functional.py            F.linear, F.dropout, ... (the layers' math)
54. minidl/nn/layers/activation.py     ReLU, Tanh, Softmax, ...
55. minidl/nn/activation_functional.py F.relu, F.gelu, ...
55. minidl/nn/layers/activation_more.py SiLU, ELU, Hardswish, PReLU, GLU, ...
56. minidl/nn/layers/dropout.py        Dropout
57. minidl/nn/layers/conv.py           Conv2d
58. minidl/nn/layers/pooling.py        MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
59. minidl/nn/layers/normalization.py  BatchNorm1d/2d, LayerNorm
60. minidl/nn/normalization_functional.py F.batch_norm, F.layer_norm
61. minidl/nn/losses.py                CrossEntropyLoss, MSELoss, ...
62. minidl/nn/loss_functional.py       F.cross_entropy, F.mse_loss, ...
63. minidl/nn/regularization.py        l1_penalty
64. minidl/nn/clip.py                  clip_grad_norm_, clip_grad_value_
65. minidl/nn/hooks.py                 Module backward hooks
66. minidl/nn/layer_stats.py           LayerStats: per-layer statistics while training
67. minidl/nn/utils.py                 nn.utils (PyTorch's module of that name)
68. minidl/nn/embedding_functional.py  F.embedding
69. minidl/nn/layers/embedding.py      Embedding
70. minidl/nn/recurrent_functional.py  the steps of RNN, LSTM, GRU
71. minidl/nn/layers/recurrent.py      RNN, LSTM, GRU and their cells
72. minidl/nn/attention_functional.py  F.scaled_dot_product_attention
73. minidl/nn/layers/attention.py      MultiheadAttention
74. minidl/nn/layers/transformer.py    TransformerEncoderLayer, ...
75. minidl/allocator.py                keeping freed memory for reuse (glibc)
Optimizers
76. minidl/optim/optimizer.py          Optimizer: parameter groups, state, zero_grad
77. minidl/optim/sgd.py                SGD, momentum, Nesterov
78. minidl/optim/ewa_momentum.py       the course notes' momentum (an average of gradients)
79. minidl/optim/adagrad.py            Adagrad
80. minidl/optim/rmsprop.py            RMSprop
81. minidl/optim/adam.py               Adam, AdamW
82. minidl/optim/lr_scheduler.py       learning-rate schedules
83. minidl/optim/plateau.py            ReduceLROnPlateau
Data
84. minidl/data/dataset.py             Dataset, TensorDataset, random_split, KFold
85. minidl/data/dataloader.py          DataLoader: batches
86. minidl/data/datasets/idx.py        the IDX file format
87. minidl/data/datasets/download.py   downloading and verifying files
88. minidl/data/datasets/mnist.py      MNIST, FashionMNIST
Saving, and training
89. minidl/atomic_file.py              writing a file all at once, or not at all
90. minidl/serialization.py            minidl.save, minidl.load: safetensors + JSON
91. minidl/train/checkpoint.py         a run's whole state, last and best, in one file
92. minidl/train/rng.py                the random states a checkpoint holds
93. minidl/train/early_stopping.py     EarlyStopping
94. minidl/train/history.py            the metrics of every epoch
95. minidl/train/progress.py           the progress bar
Training on several processes (data parallelism over MPI)
96. minidl/distributed/process_group.py init_process_group, ranks, what a failing rank does
97. minidl/distributed/collectives.py  all_reduce, broadcast, ... on Tensors, in place
98. minidl/distributed/objects.py      all_gather_object, broadcast_object_list (JSON)
99. minidl/distributed/nccl.py         GPU to GPU through NCCL
100. minidl/data/distributed.py         DistributedSampler: each rank's share of the data
101. minidl/nn/parallel/reducer.py      averaging gradients in buckets, during backward
102. minidl/nn/parallel/distributed.py  DistributedDataParallel
The lessons' tools
103. minidl/analysis.py                 Hessians, Hessian-vector products, critical points
104. minidl/tune.py                     hyperparameter search
105. minidl/backward_trace.py           the backward pass, step by step
106. minidl/viz.py                      the graph, drawn
107. minidl/explorer.py                 the graph and its backward pass, as a page to click
108. minidl/module_boxes.py             which module made each node (the page's boxes)
"""
# tensor.py first: it is the root every other module imports (and it imports the ops last).
from minidl.tensor import Tensor

# isort: split
from minidl import accelerator, autograd, backend, backends, cuda
from minidl.autograd import (
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minidl.backend import Device as device
from minidl.backend import Generator, get_default_device, manual_seed, set_default_device
from minidl.creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
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
    bool,
    bool_,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
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
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    argsort,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    broadcast_to,
    cat,
    chunk,
    clamp,
    clone,
    cos,
    cummax,
    cummin,
    cumprod,
    cumsum,
    div,
    dot,
    erf,
    exp,
    expand,
    expm1,
    flatten,
    floor_divide,
    isfinite,
    isinf,
    isnan,
    kthvalue,
    log,
    log1p,
    log_softmax,
    logcumsumexp,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    median,
    min,
    minimum,
    mm,
    mul,
    nanmedian,
    neg,
    norm,
    pad,
    permute,
    pow,
    prod,
    relu,
    remainder,
    reshape,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    std_mean,
    sub,
    sum,
    sum_to,
    t,
    tanh,
    transpose,
    unsqueeze,
    var,
    var_mean,
    where,
)
from minidl.ops.masking import masked_fill, tril, triu
from minidl.ops.sampling import multinomial, topk
from minidl.printing import set_printoptions
from minidl.serialization import CheckpointError, load, save
from minidl.tensor import Size, is_tensor

clip = clamp
__version__ = "0.1.0"

# The subpackages, imported last: they build on everything above.
from minidl import data, distributed, linalg, nn, optim, utils, viz  # noqa: E402
