"""Bilinear: y = x1^T A x2 + b, one bilinear form A_k per output feature (``F.bilinear``).

It scores how two inputs interact (a question and an answer, a user and an item) with every
product x1_i x2_j weighted: weight (out_features, in1_features, in2_features), bias
(out_features,). Both start uniform in [-1/sqrt(in1_features), 1/sqrt(in1_features)], as in
PyTorch. The gradient is einsum's, so the layer has no backward of its own.

Read next: ``normalization.py``.
"""
from __future__ import annotations

import math
from typing import Any

from minidl.config_checks import check_bool, check_positive_int
from minidl.creation import empty
from minidl.nn import functional as F
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class Bilinear(Module):
    """y = x1^T A x2 + b, for x1 (*, in1_features) and x2 (*, in2_features)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        for name, value in (("in1_features", in1_features), ("in2_features", in2_features),
                            ("out_features", out_features)):
            check_positive_int("Bilinear", name, value)
        check_bool("Bilinear", "bias", bias)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype,
                                      device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
