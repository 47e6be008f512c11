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
13. minidl/ops/sort.py                 sort, argsort, kthvalue, median
14. minidl/ops/scan.py                 cumsum, cumprod, cummax, cummin, logcumsumexp
15. minidl/ops/product.py              prod, with an exact gradient at zeros
16. minidl/ops/extrema.py              amax, amin, aminmax
17. minidl/ops/moments.py              var_mean, std_mean
18. minidl/linalg.py                   minidl.linalg: vector_norm, matrix_norm, norm
19. minidl/ops/shape.py                reshape, transpose, cat, pad, broadcast_to, sum_to
20. minidl/ops/indexing.py             x[key], and its scatter-add backward
21. minidl/ops/rearrange.py            repeat, tile, flip, roll, movedim, unfold, meshgrid
22. minidl/ops/gather_scatter.py       gather, scatter, index_select, index_add, masked_select
23. minidl/ops/scatter_extremes.py     scatter_reduce's amax, amin and prod
24. minidl/ops/diagonals.py            diag, diagonal, diag_embed
25. minidl/ops/einstein.py             einsum
26. minidl/ops/pad_modes.py            pad's reflect, replicate and circular modes, cropping
27. minidl/ops/linalg.py               matmul
28. minidl/ops/conv.py                 conv2d as im2col and one matmul
29. minidl/ops/pool.py                 max and average pooling
30. minidl/ops/pool_indices.py         adaptive max pooling, max_unpool2d
31. minidl/ops/pool1d.py               1-D pooling as 2-D over a unit height
32. minidl/ops/conv_transpose.py       conv1d, conv_transpose1d/2d
33. minidl/ops/resample.py             interpolate, pixel_shuffle
34. minidl/ops/fold.py                 unfold, fold (im2col, col2im)
35. minidl/ops/convert.py              dtype and device changes
36. minidl/ops/special.py              erf, softplus
37. minidl/ops/rounding.py             floor, ceil, round, trunc, frac, fmod
38. minidl/ops/trigonometric.py        tan, asin, ..., atan2, sinh, ..., atanh
39. minidl/ops/exp_log.py              log2, log10, exp2, square, reciprocal
40. minidl/ops/erf_family.py           erfc, erfinv
41. minidl/ops/binary_math.py          lerp, logaddexp, copysign, hypot, isclose
42. minidl/ops/bitcast.py              x.view(dtype): the same bytes as another dtype
43. minidl/ops/cross_entropy.py        softmax cross-entropy, fused
44. minidl/ops/batch_norm.py           batch normalization's training step, fused
45. minidl/ops/masking.py              tril, triu, masked_fill
46. minidl/ops/sampling.py             topk, multinomial
47. minidl/ops/lstm_cell.py            an LSTM step, fused
48. minidl/ops/lstm_sequence.py        an LSTM layer, all its steps fused
49. minidl/ops/layer_norm.py           layer normalization, fused
50. minidl/ops/gelu.py                 GELU, fused
What the ops stand on
51. minidl/dtypes.py                   dtype names, the default float
52. minidl/ops/arguments.py            PyTorch's axis=, keepdims= and out= arguments
53. minidl/ops/operands.py             dtype promotion, Python scalars
54. minidl/ops/dims.py                 dims and broadcast shapes
55. minidl/ops/dtype_checks.py         the floating-point check
56. minidl/inplace.py                  in-place methods, version counters
57. minidl/handles.py                  RemovableHandle, returned by every register_*_hook
58. minidl/errors.py                   minidl's exceptions
59. minidl/backend.py                  the only file that knows about NumPy vs CuPy
60. minidl/random_streams.py           Generator, manual_seed: seeded random numbers
61. minidl/scatter_rows.py             scatter_add on NumPy, by sorting
PyTorch's spellings and namespaces
62. minidl/tensor_methods.py           x.exp(), x.sum(dim), x.view_as(y), ...: PyTorch's names
63. minidl/tensor_methods_math.py      x.floor(), x.tan(), ...: elementwise math
64. minidl/tensor_methods_reduce.py    x.prod(), x.cumsum(), x.sort(), ...
65. minidl/tensor_methods_shape.py     x.repeat(), x.flip(), x.gather(), ...
66. minidl/printing.py                 repr(tensor), as PyTorch prints it
67. minidl/cuda.py                     minidl.cuda.is_available(), device_count()
68. minidl/accelerator.py              minidl.accelerator, device-neutral
69. minidl/backends/mps.py             minidl.backends.mps: Apple GPUs (not available)
70. minidl/backends/cudnn.py           minidl.backends.cudnn: flags, without effect
Making tensors, and checking gradients
71. minidl/creation.py                 tensor(), zeros(), randn(), ...
72. minidl/testing.py                  gradcheck, gradgradcheck
Neural networks
73. minidl/nn/parameter.py             Parameter: a tensor a Module trains
74. minidl/config_checks.py            ConfigError checks of sizes, rates and choices
75. minidl/nn/module.py                Module: registration, train/eval, state_dict, to()
76. minidl/nn/state_checks.py          load_state_dict's checks: all or nothing
77. minidl/nn/containers.py            Sequential, ModuleList, ModuleDict
78. minidl/nn/init.py                  weight initialization
79. minidl/nn/layers/linear.py         Linear, Flatten
80. minidl/nn/functional.py            F.linear, F.one_hot, ... (the layers' math)
81. minidl/nn/layers/activation.py     ReLU, Tanh, Softmax, ...
82. minidl/nn/activation_functional.py F.relu, F.gelu, ...
83. minidl/nn/layers/activation_more.py SiLU, ELU, Hardswish, PReLU, GLU, ...
84. minidl/nn/layers/dropout.py        Dropout, Dropout1d/2d/3d, AlphaDropout
85. minidl/nn/dropout_functional.py    F.dropout, F.dropout1d/2d/3d, F.alpha_dropout
86. minidl/nn/layers/conv.py           Conv1d/2d, ConvTranspose1d/2d
87. minidl/nn/layers/pooling.py        MaxPool1d/2d, AvgPool1d/2d, adaptive pools, MaxUnpool2d
88. minidl/nn/layers/resampling.py     Upsample, PixelShuffle, Fold, Unfold
89. minidl/nn/layers/padding.py        ZeroPad2d, ConstantPad, ReflectionPad, ReplicationPad, ...
90. minidl/nn/layers/distance.py       CosineSimilarity, PairwiseDistance
91. minidl/nn/layers/activation_extra.py Softmax2d, RReLU
92. minidl/nn/layers/bilinear.py       Bilinear
93. minidl/nn/layers/normalization.py  BatchNorm1d/2d, LayerNorm
94. minidl/nn/normalization_functional.py F.batch_norm, F.layer_norm
95. minidl/nn/sample_norm_functional.py F.group_norm, F.instance_norm, F.rms_norm, F.normalize
96. minidl/nn/layers/sample_norm.py    GroupNorm, InstanceNorm1d/2d/3d, RMSNorm
97. minidl/nn/losses.py                CrossEntropyLoss, MSELoss, ...
98. minidl/nn/loss_functional.py       F.cross_entropy, F.mse_loss, ...
99. minidl/nn/likelihood_losses.py     F.binary_cross_entropy, F.kl_div, F.poisson_nll_loss, ...
100. minidl/nn/distance_losses.py      F.cosine_similarity, F.triplet_margin_loss, ...
101. minidl/nn/margin_losses.py        F.soft_margin_loss, F.multilabel_margin_loss, ...
102. minidl/nn/regularization.py       l1_penalty
103. minidl/nn/clip.py                 clip_grad_norm_, clip_grad_value_
104. minidl/nn/hooks.py                Module backward hooks
105. minidl/nn/layer_stats.py          LayerStats: per-layer statistics while training
106. minidl/nn/utils.py                nn.utils (PyTorch's module of that name)
107. minidl/nn/embedding_functional.py F.embedding
108. minidl/nn/layers/embedding.py     Embedding
109. minidl/nn/recurrent_functional.py the steps of RNN, LSTM, GRU
110. minidl/nn/layers/recurrent.py     RNN, LSTM, GRU and their cells
111. minidl/nn/attention_functional.py F.scaled_dot_product_attention
112. minidl/nn/layers/attention.py     MultiheadAttention
113. minidl/nn/layers/transformer.py   TransformerEncoderLayer, ...
114. minidl/threads.py                 set_num_threads: the BLAS threads
115. minidl/adaptive_threads.py        the default count, from the machine's load
116. minidl/allocator.py               keeping freed memory for reuse (glibc)
Optimizers
117. minidl/optim/optimizer.py         Optimizer: parameter groups, state, zero_grad
118. minidl/optim/sgd.py               SGD, momentum, Nesterov
119. minidl/optim/ewa_momentum.py      the course notes' momentum (an average of gradients)
120. minidl/optim/adagrad.py           Adagrad
121. minidl/optim/rmsprop.py           RMSprop
122. minidl/optim/adam.py              Adam, AdamW
123. minidl/optim/adadelta.py          Adadelta
124. minidl/optim/adamax.py            Adamax
125. minidl/optim/nadam.py             NAdam (Nesterov momentum)
126. minidl/optim/radam.py             RAdam (rectified Adam)
127. minidl/optim/lbfgs.py             L-BFGS
128. minidl/optim/line_search.py       the strong-Wolfe line search
129. minidl/optim/rprop.py             Rprop (a step size per weight, from signs)
130. minidl/optim/asgd.py              ASGD (averaged SGD)
131. minidl/optim/lr_scheduler.py      learning-rate schedules
132. minidl/optim/plateau.py           ReduceLROnPlateau
133. minidl/optim/chained.py           ConstantLR, PolynomialLR, ChainedScheduler
134. minidl/optim/cyclic_schedulers.py CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts
Data
135. minidl/data/dataset.py            Dataset, TensorDataset, random_split, KFold
136. minidl/data/dataset_combinators.py IterableDataset, ConcatDataset, ChainDataset
137. minidl/data/samplers.py           Sampler, RandomSampler, BatchSampler, ...
138. minidl/data/collate.py            default_collate: samples into a batch
139. minidl/data/workers.py            worker processes, get_worker_info
140. minidl/data/dataloader.py         DataLoader: batches
141. minidl/data/datasets/idx.py       the IDX file format
142. minidl/data/datasets/download.py  downloading and verifying files
143. minidl/data/datasets/mnist.py     MNIST, FashionMNIST
Saving, and training
144. minidl/atomic_file.py             writing a file all at once, or not at all
145. minidl/serialization.py           minidl.save, minidl.load: safetensors + JSON
146. minidl/train/checkpoint.py        a run's whole state, last and best, in one file
147. minidl/train/rng.py               the random states a checkpoint holds
148. minidl/train/early_stopping.py    EarlyStopping
149. minidl/train/history.py           the metrics of every epoch
150. minidl/train/progress.py          the progress bar
Training on several processes (data parallelism over MPI)
151. minidl/distributed/process_group.py init_process_group, ranks, what a failing rank does
152. minidl/distributed/collectives.py all_reduce, broadcast, ... on Tensors, in place
153. minidl/distributed/objects.py     all_gather_object, broadcast_object_list (JSON)
154. minidl/distributed/nccl.py        GPU to GPU through NCCL
155. minidl/data/distributed.py        DistributedSampler: each rank's share of the data
156. minidl/nn/parallel/reducer.py     averaging gradients in buckets, during backward
157. minidl/nn/parallel/distributed.py DistributedDataParallel
158. minidl/ops/sync_batch_norm.py     batch statistics summed over every rank, fused
159. minidl/nn/layers/sync_batch_norm.py SyncBatchNorm, convert_sync_batchnorm
The lessons' tools
160. minidl/analysis.py                Hessians, Hessian-vector products, critical points
161. minidl/tune.py                    hyperparameter search
162. minidl/backward_trace.py          the backward pass, step by step
163. minidl/viz.py                     the graph, drawn
164. minidl/explorer.py                the graph and its backward pass, as a page to click
165. minidl/module_boxes.py            which module made each node (the page's boxes)
"""
# tensor.py first: it is the root every other module imports (and it imports the ops last).
from minidl.tensor import Tensor

# isort: split
from minidl import accelerator, allocator, autograd, backend, backends, cuda, threads
from minidl.autograd import (
    detect_anomaly,
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minidl.backend import Device as device
from minidl.backend import get_default_device, set_default_device
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
    IntegerOverflowError,
    MinidlError,
    OutOfRangeError,
    ShapeError,
)
from minidl.ops import (
    abs,
    acos,
    acosh,
    add,
    all,
    allclose,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    argsort,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clone,
    copysign,
    cos,
    cosh,
    cummax,
    cummin,
    cumprod,
    cumsum,
    div,
    dot,
    erf,
    erfc,
    erfinv,
    exp,
    exp2,
    expand,
    expm1,
    flatten,
    floor,
    floor_divide,
    fmod,
    frac,
    hypot,
    isclose,
    isfinite,
    isinf,
    isnan,
    kthvalue,
    lerp,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logaddexp,
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
    reciprocal,
    relu,
    remainder,
    reshape,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    std_mean,
    sub,
    sum,
    sum_to,
    t,
    tan,
    tanh,
    transpose,
    trunc,
    unsqueeze,
    var,
    var_mean,
    where,
)
from minidl.ops.diagonals import diag, diag_embed, diagonal
from minidl.ops.einstein import einsum
from minidl.ops.gather_scatter import (
    gather,
    index_add,
    index_select,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take_along_dim,
)
from minidl.ops.masking import masked_fill, tril, triu
from minidl.ops.rearrange import (
    flip,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    repeat,
    repeat_interleave,
    roll,
    swapaxes,
    swapdims,
    tile,
    unbind,
    unflatten,
    unfold,
)
from minidl.ops.sampling import multinomial, topk
from minidl.printing import set_printoptions
from minidl.random_streams import Generator, manual_seed
from minidl.serialization import CheckpointError, load, save
from minidl.tensor import Size, is_tensor
from minidl.threads import get_num_threads, limit_threads, set_num_threads

clip = clamp
# PyTorch's other names (NumPy's) for the same functions
arccos, arccosh, arcsin, arcsinh = acos, acosh, asin, asinh
arctan, arctan2, arctanh, fix = atan, atan2, atanh, trunc
concat = concatenate = cat
__version__ = "0.1.0"
threads.apply_default()  # BLAS threads following the load unless the environment says: threads.py
allocator.apply_default()  # freed memory kept for reuse, unless the environment says: allocator.py

# The subpackages, imported last: they build on everything above.
from minidl import data, distributed, linalg, nn, optim, utils, viz  # noqa: E402
