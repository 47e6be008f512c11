"""The dtypes minidl names (NumPy's, under PyTorch's names) and the default floating-point dtype.

A dtype is a ``numpy.dtype``: CuPy uses the same objects, so one set serves both backends.
``DEFAULT_DTYPE`` is what Python floats become, in ``tensor([0.5])`` and in ``x * 0.5`` with an
integer ``x``: float32, as in PyTorch (NumPy would pick float64).

Read next: ``minidl/ops/operands.py`` (how the dtypes of two operands are reconciled).
"""
import numpy as np

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, bool_ = np.dtype(np.uint8), np.dtype(np.bool_)

DEFAULT_DTYPE = float32
