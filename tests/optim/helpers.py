"""Small helpers shared by the optimizer tests."""
import numpy as np

import minidl


def make_param(array):
    """A leaf tensor holding a copy of ``array`` (optimizers update parameters in place)."""
    return minidl.tensor(np.array(array, copy=True), requires_grad=True)


def set_grad(p, g):
    p.grad = minidl.tensor(np.array(g, copy=True))
