"""The dtypes minidl names (NumPy's, under PyTorch's names) and the default floating-point dtype.

A dtype is a ``numpy.dtype`` (``minidl.dtype``, as ``torch.dtype``): CuPy uses the same objects,
so one set serves both backends. PyTorch's other spellings name the same objects:
``minidl.float`` is ``float32``, ``double`` ``float64``, ``half`` ``float16``, ``long`` ``int64``,
``int`` ``int32``, ``short`` ``int16``, ``bool`` ``bool_``. There is no ``bfloat16``: NumPy has
no such dtype (neither has CuPy), so minidl cannot compute in it.

The default dtype (``get_default_dtype()``) is what Python floats become, in ``tensor([0.5])``
and in the creation functions: float32, as in PyTorch (NumPy would pick float64);
``set_default_dtype(minidl.float64)`` changes it. ``DEFAULT_DTYPE`` is float32, the default
before any change.

Read next: ``minidl/ops/arguments.py`` (PyTorch's ``axis=`` and ``out=`` arguments).
"""
import numpy as np

from minidl.errors import DTypeError

dtype = np.dtype  # the type of every dtype below: isinstance(x.dtype, minidl.dtype)

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, bool_ = np.dtype(np.uint8), np.dtype(np.bool_)

# PyTorch's other names for the same dtypes. They shadow Python's float, int and bool inside
# this module only; nothing below needs the built-ins.
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
bool = bool_

DEFAULT_DTYPE = float32
_default_dtype = DEFAULT_DTYPE


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless ``set_default_dtype`` changed it)."""
    return _default_dtype


def set_default_dtype(d) -> None:
    """Make ``d`` (a floating-point dtype) the default, as ``torch.set_default_dtype``."""
    global _default_dtype
    try:
        new = np.dtype(d)
    except TypeError:
        raise DTypeError(f"set_default_dtype: {d!r} is not a dtype") from None
    if new.kind != "f":
        raise DTypeError(f"set_default_dtype: only floating-point dtypes can be the default, "
                         f"got {new}")
    _default_dtype = new
