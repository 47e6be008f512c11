"""Stateless neural-network functions (``torch.nn.functional``): the layers' math without state.

This file holds ``linear``, ``bilinear`` and ``one_hot`` and gathers the rest under one name,
``import minidl.nn.functional as F``:

* activations  relu, leaky_relu, gelu, sigmoid, tanh, softplus, softmax, log_softmax, erf,
               silu, elu, celu, selu, hardtanh, relu6, hardsigmoid, hardswish, threshold,
               prelu, mish, softsign, logsigmoid, softmin, glu, hardshrink, softshrink,
               tanhshrink, rrelu (``activation_functional.py``);
* losses       cross_entropy, nll_loss, mse_loss, l1_loss, huber_loss, smooth_l1_loss,
               multi_margin_loss, binary_cross_entropy_with_logits (``loss_functional.py``);
               binary_cross_entropy, kl_div, poisson_nll_loss, gaussian_nll_loss
               (``likelihood_losses.py``); cosine_similarity, pairwise_distance,
               cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss
               (``distance_losses.py``); soft_margin_loss, hinge_embedding_loss,
               multilabel_soft_margin_loss, multilabel_margin_loss (``margin_losses.py``);
* convolution, pooling, resampling and normalization (``minidl/ops/conv.py``,
  ``conv_transpose.py``, ``pool.py``, ``pool1d.py``, ``pool_indices.py``, ``resample.py``,
  ``fold.py``, ``normalization_functional.py``; group_norm, instance_norm, rms_norm, normalize:
  ``sample_norm_functional.py``) and ``pad`` (``minidl/ops/shape.py``); the
  pools' ``*_with_indices`` spellings are here;
* dropout      dropout, dropout1d, dropout2d, dropout3d, alpha_dropout (``dropout_functional.py``);
* sequences    embedding (``embedding_functional.py``), scaled_dot_product_attention
               (``attention_functional.py``).

Read next: ``minidl/nn/layers/activation.py`` (the activation layers).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from minidl import backend
from minidl.errors import DTypeError, OutOfRangeError, ShapeError
from minidl.nn.activation_functional import (
    celu,
    elu,
    erf,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from minidl.nn.attention_functional import scaled_dot_product_attention
from minidl.nn.distance_losses import (
    cosine_embedding_loss,
    cosine_similarity,
    margin_ranking_loss,
    pairwise_distance,
    triplet_margin_loss,
)
from minidl.nn.dropout_functional import (
    alpha_dropout,
    check_dropout_p,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
)
from minidl.nn.embedding_functional import embedding
from minidl.nn.likelihood_losses import (
    binary_cross_entropy,
    gaussian_nll_loss,
    kl_div,
    poisson_nll_loss,
)
from minidl.nn.loss_functional import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from minidl.nn.margin_losses import (
    hinge_embedding_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from minidl.nn.normalization_functional import batch_norm, layer_norm
from minidl.nn.sample_norm_functional import group_norm, instance_norm, normalize, rms_norm

# re-export
from minidl.ops import pad
from minidl.ops.conv import conv2d
from minidl.ops.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d
from minidl.ops.dtype_checks import require_float
from minidl.ops.einstein import einsum
from minidl.ops.fold import fold, unfold
from minidl.ops.linalg import Linear
from minidl.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.ops.pool1d import adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, max_pool1d
from minidl.ops.pool_indices import adaptive_max_pool2d, max_unpool2d
from minidl.ops.resample import interpolate, pixel_shuffle, pixel_unshuffle
from minidl.tensor import Tensor


def _check_linear_input(op: str, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> None:
    """Raise a minidl error naming ``op`` unless ``input`` is a Tensor of weight's dtype whose
    last dimension is ``in_features = weight.shape[1]`` and ``bias`` has shape
    (out_features,)."""
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: expected a minidl Tensor as input, got {type(input).__name__}")
    if weight.ndim != 2:
        raise ShapeError(f"{op}: expected a weight of shape (out_features, in_features), "
                         f"got {tuple(weight.shape)}")
    in_features = weight.shape[1]
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise ShapeError(f"{op}: expected input with last dimension {in_features}, got "
                         f"shape {tuple(input.shape)}")
    if input.dtype != weight.dtype:
        raise DTypeError(f"{op}: input dtype {input.dtype} does not match the weight dtype "
                         f"{weight.dtype}; convert the input (x.to({str(weight.dtype)!r})) or "
                         f"the model (model.to({str(input.dtype)!r}))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{op}: expected a bias of shape ({weight.shape[0]},), got "
                         f"{tuple(bias.shape)}")


def linear_impl(op: str, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """``linear``, shared with the ``Linear`` layer so that the checks run once per call;
    ``op`` names the caller in errors (``Linear(in_features=3, ...)``)."""
    _check_linear_input(op, input, weight, bias)
    return Linear.apply(input, weight, bias)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y = x W^T + b, for x of shape (*, in_features), W (out_features, in_features),
    b (out_features,). Gradients: gx = gy W, gW = gy^T x, gb = sum of gy over the batch
    (one fused node: ``minidl/ops/linalg.py``, ``Linear``)."""
    return linear_impl(f"linear (weight shape {tuple(weight.shape)})", input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Optional[Tensor] = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k, for x1 (*, in1), x2 (*, in2), A (out, in1, in2), b (out,):
    one bilinear form per output feature, composed as ``einsum('...i,kij,...j->...k')``."""
    op = f"bilinear (weight shape {tuple(weight.shape)})"
    if weight.ndim != 3:
        raise ShapeError(f"{op}: expected a weight of shape (out_features, in1_features, "
                         f"in2_features)")
    if (input1.shape[:-1] != input2.shape[:-1] or input1.ndim == 0
            or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]):
        raise ShapeError(f"{op}: expected inputs of shapes (*, {weight.shape[1]}) and "
                         f"(*, {weight.shape[2]}) with the same leading dims, got "
                         f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{op}: expected a bias of shape ({weight.shape[0]},), got "
                         f"{tuple(bias.shape)}")
    y = einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each class index
    (``num_classes=-1``: max(tensor) + 1). No gradient (its input is integer)."""
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: expected an integer tensor of class indices, got "
                         f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    xp = backend.get_array_module(tensor._array)
    values = tensor._array
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    if values.size and (int(values.min()) < 0 or int(values.max()) >= num_classes):
        raise OutOfRangeError(f"one_hot: class values must be in [0, {num_classes}), got "
                              f"values in [{int(values.min())}, {int(values.max())}]")
    out = (values[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, False)


# PyTorch's *_with_indices spellings: the pools with return_indices=True, always a pair
# (values, indices); their own return_indices argument is ignored, as in PyTorch.
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool2d(input, output_size, True)
