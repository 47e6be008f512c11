"""More activation layers, PyTorch's names and reprs: SiLU, ELU, CELU, SELU, Hardtanh, ReLU6,
Hardsigmoid, Hardswish, Threshold, Hardshrink, Softshrink, Tanhshrink, Mish, Softsign,
LogSigmoid, Softmin, GLU, and PReLU, the one
with a learned parameter (its negative slope). Each calls its function in
``minidl/nn/activation_functional.py``, where the math is.

``inplace`` is accepted where PyTorch has it and shows in the repr as there; minidl always
returns a new tensor (the values are the same).

Read next: ``minidl/nn/layers/dropout.py``.
"""
from __future__ import annotations

from typing import Any

from minidl.config_checks import check_finite, check_number, check_positive_int
from minidl.creation import full
from minidl.nn import functional as F
from minidl.nn.activation_functional import check_celu_alpha, check_hardtanh_bounds, check_lambd
from minidl.nn.init import constant_
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class _Elementwise(Module):
    """An activation with no settings but ``inplace``: forward calls ``function``."""

    function = None  # set by each subclass: staticmethod(a function of minidl.nn.functional)
    shows_inplace = True  # PyTorch's repr says "inplace=True" (not for the hard* two)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace and self.shows_inplace else ""


class SiLU(_Elementwise):
    """y = x sigmoid(x) (also called swish)."""

    function = staticmethod(F.silu)


class SELU(_Elementwise):
    """y = scale * (x if x > 0 else alpha (exp(x) - 1)), the self-normalizing constants."""

    function = staticmethod(F.selu)


class Mish(_Elementwise):
    """y = x tanh(softplus(x))."""

    function = staticmethod(F.mish)


class Hardswish(_Elementwise):
    """y = x hardsigmoid(x)."""

    function = staticmethod(F.hardswish)
    shows_inplace = False


class Hardsigmoid(_Elementwise):
    """y = clip(x / 6 + 1/2, 0, 1)."""

    function = staticmethod(F.hardsigmoid)
    shows_inplace = False


class Hardshrink(Module):
    """y = x where |x| > lambd, else 0."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = check_lambd("Hardshrink", lambd)

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """y = x - lambd for x > lambd, x + lambd for x < -lambd, else 0."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = check_lambd("Softshrink", lambd)

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class Tanhshrink(Module):
    """y = x - tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softsign(Module):
    """y = x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class LogSigmoid(Module):
    """y = log(sigmoid(x)) = -softplus(-x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class ELU(Module):
    """y = x if x > 0 else alpha (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = check_finite("ELU", "alpha", alpha)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """y = x if x > 0 else alpha (exp(x / alpha) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(check_celu_alpha("CELU", alpha), inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha)


class Hardtanh(Module):
    """y = min(max(x, min_val), max_val)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        check_hardtanh_bounds(type(self).__name__, min_val, max_val)
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Threshold(Module):
    """y = x if x > threshold else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = check_finite("Threshold", "threshold", threshold)
        self.value = check_finite("Threshold", "value", value)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return (f"threshold={self.threshold}, value={self.value}"
                + (", inplace=True" if self.inplace else ""))


class Softmin(Module):
    """y = softmax(-x) along ``dim`` (required here, as for ``Softmax``)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_number("Softmin", "dim", dim, integer=True)

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """Split the input in halves a, b along ``dim``; y = a sigmoid(b)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = check_number("GLU", "dim", dim, integer=True)

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """y = x if x > 0 else a x, with the slope a learned: one shared by every channel
    (``num_parameters=1``) or one per channel (dimension 1 of the input). The slopes start at
    ``init`` (0.25, as in PyTorch). PyTorch's documentation advises no weight decay on them
    (decay pulls the slopes to 0, a ReLU); they are ordinary parameters, so leaving them out is
    a parameter group of the optimizer's."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        self.num_parameters = check_positive_int("PReLU", "num_parameters", num_parameters)
        self.init = check_finite("PReLU", "init", init)
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))

    def reset_parameters(self) -> None:
        constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
