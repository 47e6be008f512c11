"""How the operands of an op are made compatible: dtype promotion and Python scalars.

Before ``x + y`` reaches the ``Add`` primitive, both operands must be arrays of one dtype on one
device. The rules are PyTorch's:

* categories order the kinds: bool < integer < floating point; the higher category wins;
* a Python or NumPy scalar is *weakly typed*: it takes the tensor's dtype unless it is of a
  higher category (``float32_tensor * 0.5`` stays float32; ``int_tensor * 0.5`` takes the
  default dtype, float32 unless ``set_default_dtype`` changed it);
* between two tensors of one category, one with dimensions wins over a 0-d one, else the wider.

``arithmetic_operands`` is what ``add``/``sub``/``mul``/``div`` call; ``binary_operands`` is the
general form the other binary ops use; ``check_inplace_result`` is the rule of ``x.add_(y)``.

Read next: ``dims.py`` (dims and broadcast shapes, checked once for every op).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from minidl import backend
from minidl.dtypes import get_default_dtype
from minidl.errors import DTypeError
from minidl.function import _NDARRAY
from minidl.tensor import Tensor


def _category(dtype: np.dtype) -> int:
    """bool < integer < floating point: the order in which type promotion moves."""
    return 0 if dtype.kind == "b" else 1 if dtype.kind in "iu" else 2


def _weak_dtype(value, tensor_dtype: np.dtype) -> np.dtype:
    """dtype for a Python/NumPy scalar meeting a tensor: the tensor's dtype unless the scalar is
    of a higher category (e.g. 2.5 with an int tensor gives the default dtype, float32). This
    is what keeps a float32 tensor float32 when it meets 0.5, np.float64(0.5) or a 0-d float64
    array."""
    kind = np.asarray(value).dtype
    if _category(kind) <= _category(tensor_dtype):
        return tensor_dtype
    return get_default_dtype() if kind.kind == "f" else np.dtype(np.int64)


def _tensor_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """Promotion between two tensors, as in PyTorch: the higher category wins; within one
    category a tensor with dimensions wins over a 0-d one; otherwise the wider dtype."""
    ca, cb = _category(a.dtype), _category(b.dtype)
    if ca != cb:
        return a.dtype if ca > cb else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return np.promote_types(a.dtype, b.dtype)


def check_inplace_result(op: str, tensor: Tensor, other) -> None:
    """PyTorch's rule for ``x.add_(y)`` and the like: the result must keep x's dtype without
    losing its kind, so no float operand into an integer tensor (it would be truncated), no
    integer into a bool one, and true division only into floating point."""
    if type(other) in _PYTHON_SCALAR_CATEGORY:
        category = _PYTHON_SCALAR_CATEGORY[type(other)]
        what = f"a Python {type(other).__name__} operand"
    else:  # a Tensor, a NumPy or CuPy array or scalar (which have a dtype), or nested lists
        dtype = np.dtype(other.dtype) if hasattr(other, "dtype") else np.asarray(other).dtype
        category, what = _category(dtype), f"an operand of dtype {dtype}"
    if op == "div_":
        category, what = 2, "true division"
    if category > _category(tensor.dtype):
        raise DTypeError(f"{op}: this {tensor.dtype} tensor cannot hold in place the result of "
                         f"{what} (it would be truncated; PyTorch refuses it too); use the "
                         "out-of-place op, or convert the tensor first (e.g. .float())")


def as_tensor_like(value, like: Tensor) -> Tensor:
    """A non-Tensor operand as a Tensor on ``like``'s device (scalars weakly typed)."""
    if _is_scalar(value):
        dtype = _weak_dtype(value, like.dtype)
    else:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":  # objects, strings, ...
            raise DTypeError(f"cannot combine a tensor with {type(value).__name__}")
        dtype = get_default_dtype() if arr.dtype == np.float64 and not isinstance(
            value, np.ndarray) else arr.dtype
    return Tensor._make(backend.asarray(value, dtype, like.device), False)


def _is_scalar(value) -> bool:
    return isinstance(value, (numbers.Number, np.generic)) or (
        isinstance(value, np.ndarray) and value.ndim == 0)


def _tensors_of_one_dtype(a: Tensor, b: Tensor):
    if a._array.dtype == b._array.dtype:
        return a, b
    dtype = _tensor_dtype(a, b)
    return a.to(dtype), b.to(dtype)


def binary_operands(a, b):
    """Both operands as Tensors of one dtype (casts are differentiable ops of their own)."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = as_tensor_like(b, a)
    elif isinstance(b, Tensor):
        a = as_tensor_like(a, b)
    else:
        raise DTypeError(f"expected at least one Tensor, got {type(a).__name__} and "
                         f"{type(b).__name__}")
    return _tensors_of_one_dtype(a, b)


_PYTHON_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2}
_KIND_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def arithmetic_operands(a, b):
    """Like ``binary_operands``, but a scalar operand is not made a tensor of its own dtype:
    NumPy treats Python numbers as weakly typed (float32 * 0.5 is float32), so a number stays
    a number, or, for the commonest case, a Python float with a float tensor (``x * 0.5``,
    ``0.5 * x``), becomes what ``_float_operand`` makes of it (faster). The primitives below
    accept both."""
    if type(b) is float and isinstance(a, Tensor):
        operand = _float_operand(b, a._array)
        if operand is not None:
            return a, operand
    elif type(a) is float and isinstance(b, Tensor):
        operand = _float_operand(a, b._array)
        if operand is not None:
            return operand, b
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return (a, b) if a._array.dtype == b._array.dtype else _tensors_of_one_dtype(a, b)
        tensor, scalar = _tensor_and_scalar(a, b)
        return (tensor, scalar) if tensor is not None else binary_operands(a, b)
    if isinstance(b, Tensor):
        tensor, scalar = _tensor_and_scalar(b, a)
        return (scalar, tensor) if tensor is not None else binary_operands(a, b)
    return binary_operands(a, b)


def _float_operand(value: float, data):
    """A Python float meeting a tensor whose array is ``data``, ready for NumPy or CuPy: with
    a CPU float tensor, the cached 0-d constant of ``_float_constant``; with a GPU float
    tensor, the float itself; with an integer or bool tensor, None (the general rules decide:
    the result has the default dtype)."""
    if type(data) is _NDARRAY:
        constant = _FLOAT_CONSTANTS.get((value, data.dtype))  # (only float dtypes are cached)
        if constant is not None:
            return constant
        if data.dtype.kind == "f":
            return _float_constant(value, data.dtype)
    elif data.dtype.kind == "f":
        return value
    return None


_FLOAT_CONSTANTS: dict = {}  # (value, dtype) -> 0-d constant Tensor; see _float_constant


def _float_constant(value: float, dtype: np.dtype):
    """A Python float meeting a NumPy tensor of floating-point ``dtype``, as the 0-d constant
    of that dtype NumPy turns it into anyway (NEP 50: the float takes the tensor's dtype).

    The result is the same, but NumPy resolves a Python float's weak type again on every call,
    which on a small array takes about as long as the arithmetic itself. So the constants
    are cached: at most 256, read-only. Zero stays a float (0.0 and -0.0 are one dict key),
    and so does a value the dtype cannot hold (its overflow warning belongs to each
    operation)."""
    if not value or not math.isfinite(value):
        return value
    with np.errstate(over="ignore"):
        array = np.asarray(value, dtype)
    if not np.isfinite(array):
        return value
    array.flags.writeable = False
    if len(_FLOAT_CONSTANTS) >= 256:
        _FLOAT_CONSTANTS.clear()
    constant = _FLOAT_CONSTANTS[(value, dtype)] = Tensor._make(array, False)
    return constant


def _tensor_and_scalar(tensor: Tensor, scalar):
    """(tensor, Python number) ready for NumPy; (None, None) if ``scalar`` is not a scalar."""
    category = _PYTHON_SCALAR_CATEGORY.get(type(scalar))  # exact type: np.float64 is a float
    if category is None:
        if not _is_scalar(scalar) or isinstance(scalar, complex):
            return None, None
        scalar = scalar.item()  # NumPy scalars are strongly typed: use the Python value
        category = _PYTHON_SCALAR_CATEGORY.get(type(scalar))
        if category is None:
            return None, None
    if category > _KIND_CATEGORY.get(tensor._array.dtype.kind, 2):
        tensor = tensor.to(_weak_dtype(scalar, tensor.dtype))
    return tensor, scalar
