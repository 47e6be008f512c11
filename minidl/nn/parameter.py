"""Parameter: a Tensor that a Module should learn.

A Parameter is an ordinary Tensor (leaf, ``requires_grad=True`` by default) whose only extra
meaning is for ``Module.__setattr__``: assigning one to a module attribute registers it, so that
``module.parameters()`` finds it for the optimizer and ``state_dict()`` saves it.

Read next: ``minidl/config_checks.py`` (how the layers check their arguments), then
``minidl/nn/module.py`` (how modules find their parameters).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minidl.tensor import Tensor


class Parameter(Tensor):
    """A learnable Tensor: ``Parameter(data, requires_grad=True)``.

    ``Parameter(t)`` shares ``t``'s array (no copy), like ``torch.nn.Parameter``; a list or a
    NumPy array is converted as ``Tensor(data)`` would. Operations on a Parameter return plain
    Tensors: only the registered leaf is a Parameter.
    """

    __slots__ = ()  # Tensor uses __slots__; a Parameter adds no state of its own

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        if isinstance(data, Tensor):
            data = data._array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
