"""``minidl.backends``: PyTorch's ``torch.backends`` flags that programs read or set
(``minidl.backends.mps.is_available()``, ``minidl.backends.cudnn.benchmark = True``).

Not to be confused with ``minidl/backend.py``, the module that knows NumPy from CuPy.
"""
from minidl.backends import cudnn, mps
