"""The names and parameters that ``tests/test_pytorch_signatures.py`` audits: PyTorch's C++
builtins written out by hand (``SPECS``: they have no Python signature), and the names whose
Python signature is read from PyTorch itself (layers, functional, init, optimizers, schedulers,
data), as whitespace-separated lists.
"""

# PyTorch's C++ builtins: their parameters written out (from PyTorch's documentation and calls).
# "input" is the leading tensor; a method's "self" is left out.
_REDUCE = "input, dim=None, keepdim=False, *, out=None"
_SCAN = "input, dim, *, dtype=None, out=None"
SPECS = {
    # creation
    "tensor": "data, *, dtype=None, device=None, requires_grad=False",
    "as_tensor": "data, dtype=None, device=None",
    "zeros_like": "input, *, dtype=None, device=None, requires_grad=False",
    "ones_like": "input, *, dtype=None, device=None, requires_grad=False",
    "full_like": "input, fill_value, *, dtype=None, device=None, requires_grad=False",
    "arange": "start=0, end=None, step=1, *, out=None, dtype=None, device=None, "
              "requires_grad=False",
    "empty": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "eye": "n, m=None, *, out=None, dtype=None, device=None, requires_grad=False",
    "full": "size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False",
    "linspace": "start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False",
    "ones": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "rand": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "rand_like": "input, *, dtype=None, device=None, requires_grad=False",
    "randint": "low=0, high=None, size=None, *, out=None, dtype=None, device=None, "
               "requires_grad=False",
    "randn": "*size, out=None, dtype=None, device=None, requires_grad=False",
    "randn_like": "input, *, dtype=None, device=None, requires_grad=False",
    "zeros": "*size, out=None, dtype=None, device=None, requires_grad=False",
    # elementwise
    **{name: "input, *, out=None" for name in """floor ceil trunc frac tan asin acos atan sinh
        cosh asinh acosh atanh erf erfc erfinv rsqrt log2 log10 exp2 log1p expm1 square
        reciprocal exp log sqrt sin cos tanh sigmoid abs neg sign""".split()},
    "isnan": "input", "isinf": "input", "isfinite": "input",
    "remainder": "input, other, *, out=None",
    "floor_divide": "input, other, *, out=None",
    "fmod": "input, other, *, out=None",
    "div": "input, other, *, rounding_mode=None, out=None",
    "atan2": "input, other, *, out=None",
    "lerp": "input, end, weight, *, out=None",
    "logaddexp": "input, other, *, out=None",
    "copysign": "input, other, *, out=None",
    "hypot": "input, other, *, out=None",
    "isclose": "input, other, rtol=1e-05, atol=1e-08, equal_nan=False",
    "allclose": "input, other, rtol=1e-05, atol=1e-08, equal_nan=False",
    "where": "condition, input, other, *, out=None",
    "clamp": "input, min=None, max=None, *, out=None",
    "round": "input, *, decimals=0, out=None",
    "pow": "input, exponent, *, out=None",
    "add": "input, other, *, alpha=1, out=None",
    "sub": "input, other, *, alpha=1, out=None",
    # reductions, scans, sorting
    "sum": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "mean": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "prod": "input, dim=None, keepdim=False, *, dtype=None, out=None",
    "cumsum": _SCAN, "cumprod": _SCAN,
    "cummax": "input, dim, *, out=None", "cummin": "input, dim, *, out=None",
    "logcumsumexp": "input, dim, *, out=None",
    "logsumexp": "input, dim, keepdim=False, *, out=None",
    "std": "input, dim=None, *, correction=None, keepdim=False, out=None",
    "var": "input, dim=None, *, correction=None, keepdim=False, out=None",
    "std_mean": "input, dim=None, *, correction=None, keepdim=False",  # (no out=)
    "var_mean": "input, dim=None, *, correction=None, keepdim=False",
    "norm": "input, p='fro', dim=None, keepdim=False, out=None, dtype=None",
    "linalg.norm": "A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None",
    "linalg.vector_norm": "x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None",
    "linalg.matrix_norm": "A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None",
    "amax": _REDUCE, "amin": _REDUCE,
    "aminmax": "input, *, dim=None, keepdim=False, out=None",
    "max": _REDUCE, "min": _REDUCE, "argmax": "input, dim=None, keepdim=False",
    "argmin": "input, dim=None, keepdim=False",
    "median": _REDUCE, "nanmedian": _REDUCE,
    "sort": "input, dim=-1, descending=False, *, stable=False, out=None",
    "argsort": "input, dim=-1, descending=False, *, stable=False",
    "topk": "input, k, dim=-1, largest=True, sorted=True, *, out=None",
    "kthvalue": "input, k, dim=-1, keepdim=False, *, out=None",
    # shape and indexing
    "cat": "tensors, dim=0, *, out=None", "concat": "tensors, dim=0, *, out=None",
    "concatenate": "tensors, axis=0, out=None", "stack": "tensors, dim=0, *, out=None",
    "split": "tensor, split_size_or_sections, dim=0",
    "chunk": "input, chunks, dim=0", "unbind": "input, dim=0",
    "flip": "input, dims", "roll": "input, shifts, dims=None",
    "diagonal": "input, offset=0, dim1=0, dim2=1",
    "diag_embed": "input, offset=0, dim1=-2, dim2=-1",
    "movedim": "input, source, destination", "moveaxis": "input, source, destination",
    "swapaxes": "input, axis0, axis1", "narrow": "input, dim, start, length",
    "unflatten": "input, dim, sizes",
    "tile": "input, dims", "repeat_interleave": "input, repeats, dim=None, *, output_size=None",
    "scatter": "input, dim, index, src=None, *, value=None, reduce=None",
    "scatter_add": "input, dim, index, src",
    "scatter_reduce": "input, dim, index, src, reduce, *, include_self=True",
    "masked_fill": "input, mask, value", "masked_scatter": "input, mask, source",
    "flatten": "input, start_dim=0, end_dim=-1", "squeeze": "input, dim=None",
    "unsqueeze": "input, dim", "transpose": "input, dim0, dim1",
    "softmax": "input, dim, *, dtype=None", "log_softmax": "input, dim, *, dtype=None",
    "diag": "input, diagonal=0, *, out=None",
    "gather": "input, dim, index, *, sparse_grad=False, out=None",
    "index_add": "input, dim, index, source, *, alpha=1, out=None",
    "index_select": "input, dim, index, *, out=None",
    "masked_select": "input, mask, *, out=None",
    "nonzero": "input, *, out=None, as_tuple=False",
    "swapdims": "input, dim0, dim1",
    "take_along_dim": "input, indices, dim=None, *, out=None",
    "tril": "input, diagonal=0, *, out=None",
    "triu": "input, diagonal=0, *, out=None",
    # Tensor methods
    "Tensor.sum": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.mean": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.prod": "dim=None, keepdim=False, *, dtype=None",
    "Tensor.cumsum": "dim, *, dtype=None", "Tensor.cumprod": "dim, *, dtype=None",
    "Tensor.cummax": "dim", "Tensor.cummin": "dim", "Tensor.logcumsumexp": "dim",
    "Tensor.std": "dim=None, *, correction=None, keepdim=False",
    "Tensor.var": "dim=None, *, correction=None, keepdim=False",
    "Tensor.norm": "p='fro', dim=None, keepdim=False, dtype=None",
    "Tensor.amax": "dim=None, keepdim=False", "Tensor.amin": "dim=None, keepdim=False",
    "Tensor.aminmax": "*, dim=None, keepdim=False",
    "Tensor.max": "dim=None, keepdim=False", "Tensor.min": "dim=None, keepdim=False",
    "Tensor.median": "dim=None, keepdim=False", "Tensor.nanmedian": "dim=None, keepdim=False",
    "Tensor.sort": "dim=-1, descending=False, *, stable=False",
    "Tensor.argsort": "dim=-1, descending=False, *, stable=False",
    "Tensor.topk": "k, dim=-1, largest=True, sorted=True",
    "Tensor.kthvalue": "k, dim=-1, keepdim=False",
    "Tensor.div": "other, *, rounding_mode=None", "Tensor.fmod": "other",
    "Tensor.remainder": "other", "Tensor.floor_divide": "other",
    "Tensor.lerp": "end, weight", "Tensor.isclose": "other, rtol=1e-05, atol=1e-08, "
                                                   "equal_nan=False",
    "Tensor.clamp": "min=None, max=None", "Tensor.round": "*, decimals=0",
    "Tensor.add": "other, *, alpha=1", "Tensor.sub": "other, *, alpha=1",
    "Tensor.pow": "exponent",
    "Tensor.repeat": "*repeats", "Tensor.repeat_interleave": "repeats, dim=None, *, "
                                                             "output_size=None",
    "Tensor.tile": "dims", "Tensor.split": "split_size, dim=0", "Tensor.chunk": "chunks, dim=0",
    "Tensor.unbind": "dim=0", "Tensor.flip": "dims", "Tensor.roll": "shifts, dims=None",
    "Tensor.diag": "diagonal=0",
    "Tensor.diagonal": "offset=0, dim1=0, dim2=1",
    "Tensor.diag_embed": "offset=0, dim1=-2, dim2=-1",
    "Tensor.unflatten": "dim, sizes", "Tensor.movedim": "source, destination",
    "Tensor.moveaxis": "source, destination", "Tensor.swapaxes": "axis0, axis1",
    "Tensor.narrow": "dim, start, length", "Tensor.unfold": "dimension, size, step",
    "Tensor.gather": "dim, index, *, sparse_grad=False",
    "Tensor.scatter": "dim, index, src=None, *, value=None, reduce=None",
    "Tensor.scatter_add": "dim, index, src",
    "Tensor.scatter_reduce": "dim, index, src, reduce, *, include_self=True",
    "Tensor.index_select": "dim, index", "Tensor.index_add": "dim, index, source, *, alpha=1",
    "Tensor.masked_select": "mask", "Tensor.masked_scatter": "mask, source",
    "Tensor.nonzero": "*, as_tuple=False", "Tensor.take_along_dim": "indices, dim=None",
    "Tensor.flatten": "start_dim=0, end_dim=-1", "Tensor.transpose": "dim0, dim1",
    "Tensor.softmax": "dim, dtype=None", "Tensor.log_softmax": "dim, dtype=None",
    "Tensor.view": "*size", "Tensor.reshape": "*shape", "Tensor.permute": "*dims",
    "Tensor.expand": "*size", "Tensor.squeeze": "dim=None", "Tensor.unsqueeze": "dim",
    "Tensor.backward": "gradient=None, retain_graph=None, create_graph=False, inputs=None",
    "Tensor.masked_fill": "mask, value",
    "Tensor.masked_fill_": "mask, value",
    "Tensor.tril": "diagonal=0",
    "Tensor.swapdims": "dim0, dim1",
    "Tensor.triu": "diagonal=0",
    # nn.functional builtins
    "F.gelu": "input, approximate='none'",
    "F.softplus": "input, beta=1.0, threshold=20.0",
    "F.prelu": "input, weight", "F.logsigmoid": "input",
    "F.hardshrink": "input, lambd=0.5", "F.softshrink": "input, lambd=0.5",
    "F.one_hot": "tensor, num_classes=-1",
    "F.pixel_shuffle": "input, upscale_factor",
    "F.linear": "input, weight, bias=None",
    "F.conv1d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "F.conv2d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "F.conv_transpose1d": "input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                          "groups=1, dilation=1",
    "F.conv_transpose2d": "input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                          "groups=1, dilation=1",
    "F.avg_pool1d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, "
                    "count_include_pad=True",
    "F.avg_pool2d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, "
                    "count_include_pad=True, divisor_override=None",
    "F.adaptive_avg_pool1d": "input, output_size",
    "F.adaptive_avg_pool2d": "input, output_size",
    "F.cosine_similarity": "x1, x2, dim=1, eps=1e-08",
    "F.pairwise_distance": "x1, x2, p=2.0, eps=1e-06, keepdim=False",
    "F.pad": "input, pad, mode='constant', value=None",
}


NN = """Linear Identity Flatten Unflatten Embedding ReLU LeakyReLU Sigmoid Tanh GELU Softmax
    LogSoftmax Softplus SiLU ELU SELU CELU ReLU6 Hardswish Hardsigmoid Hardtanh Mish Softsign
    LogSigmoid Softmin PReLU GLU Threshold Hardshrink Softshrink Tanhshrink Conv1d Conv2d
    ConvTranspose1d ConvTranspose2d
    MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d
    MaxUnpool2d Upsample PixelShuffle PixelUnshuffle Fold Unfold
    BatchNorm1d BatchNorm2d InstanceNorm1d InstanceNorm2d LayerNorm GroupNorm RMSNorm
    Dropout Dropout1d Dropout2d
    AlphaDropout LSTM GRU RNN MultiheadAttention TransformerEncoderLayer MSELoss L1Loss
    CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss KLDivLoss
    CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss PoissonNLLLoss GaussianNLLLoss"""
FUNCTIONAL = """relu leaky_relu elu selu celu relu6 hardswish hardsigmoid hardtanh mish softsign
    logsigmoid softmin softmax log_softmax glu threshold tanhshrink silu gelu softplus prelu
    sigmoid tanh
    dropout dropout1d dropout2d alpha_dropout normalize group_norm instance_norm layer_norm
    batch_norm rms_norm one_hot interpolate pixel_shuffle fold unfold conv1d conv2d
    conv_transpose1d conv_transpose2d max_pool1d max_pool2d avg_pool1d avg_pool2d
    adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d max_unpool2d linear embedding
    mse_loss l1_loss cross_entropy nll_loss binary_cross_entropy
    binary_cross_entropy_with_logits smooth_l1_loss huber_loss kl_div cosine_embedding_loss
    margin_ranking_loss triplet_margin_loss poisson_nll_loss gaussian_nll_loss
    cosine_similarity pairwise_distance"""
INIT = """uniform_ normal_ constant_ ones_ zeros_ xavier_uniform_ xavier_normal_ kaiming_uniform_
    kaiming_normal_ trunc_normal_ orthogonal_ eye_ dirac_ sparse_ calculate_gain"""
OPTIM = "SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam LBFGS"
SCHEDULERS = """StepLR MultiStepLR ExponentialLR CosineAnnealingLR LambdaLR MultiplicativeLR
    LinearLR ReduceLROnPlateau OneCycleLR CyclicLR PolynomialLR CosineAnnealingWarmRestarts
    ConstantLR ChainedScheduler SequentialLR"""
DATA = """Dataset TensorDataset Subset random_split Sampler SequentialSampler
    RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler ConcatDataset
    ChainDataset IterableDataset get_worker_info DataLoader default_collate"""
