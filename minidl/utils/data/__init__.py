"""``minidl.utils.data``: ``minidl.data`` under PyTorch's module path, so that
``from minidl.utils.data import DataLoader, TensorDataset`` works as ``torch.utils.data`` does.
Every public name of ``minidl.data`` (its ``__all__``) is re-exported here; the code is there.
"""
from minidl.data import *  # noqa: F403
from minidl.data import __all__
