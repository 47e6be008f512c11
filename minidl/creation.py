"""Making tensors: ``tensor()`` from data, and ``zeros``/``ones``/``full``/``arange``/``randn``/...

Defaults follow PyTorch: Python floats become float32 (the default dtype, ``set_default_dtype``),
Python ints int64, bools bool; a NumPy array keeps its dtype. Tensors are made on the default
device (``set_default_device``; the CPU) unless a ``device`` is given. Random tensors come from
minidl's seeded generators (``manual_seed``).

Read next: ``minidl/testing.py`` (how every backward rule is checked).
"""
from __future__ import annotations

import math
import re
from typing import Optional

import numpy as np

from minidl import backend, random_streams
from minidl.dtypes import get_default_dtype
from minidl.errors import DTypeError, IntegerOverflowError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.shape import _shape_args
from minidl.random_streams import Generator
from minidl.tensor import Tensor

# What a tensor holds: bools, integers and floats (NumPy's kinds b, u, i, f). Complex numbers,
# strings, bytes, dates and Python objects are refused: no op of minidl is defined on them.
_KINDS = "buif"
_SUPPORTED = "bool, uint8, int8, int16, int32, int64, float16, float32, float64"
_KIND_NAMES = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects",
               "M": "dates", "m": "time spans", "V": "raw records"}
_INT64 = np.iinfo(np.int64)


def _dtype(dtype) -> Optional[np.dtype]:
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"unknown dtype {dtype!r}") from None
    if dtype.kind not in _KINDS:
        raise DTypeError(f"dtype {_name(dtype)} ({_KIND_NAMES[dtype.kind]}) is not supported; "
                         f"tensors hold {_SUPPORTED}")
    return dtype


def _name(dtype: np.dtype) -> str:
    return {"U": "str", "S": "bytes"}.get(dtype.kind, dtype.name)  # (not str672: its bits)


def _check_kind(dtype: np.dtype, data, op: str) -> None:
    """Refuse data of a dtype no tensor holds, naming it and what the first offending item
    is (a string inside a list of numbers makes NumPy pick a string dtype for all)."""
    if dtype.kind in _KINDS:
        return
    if isinstance(data, np.ndarray):  # (an array of objects: find one that is no number)
        data = data.tolist() if dtype.kind == "O" else ()
    item = _first_non_number(data)
    found = "" if item is _NUMBERS_ONLY else f": found {item!r} ({type(item).__name__})"
    raise DTypeError(f"{op}: cannot make a tensor of dtype {_name(dtype)} "
                     f"({_KIND_NAMES[dtype.kind]}){found}; tensors hold {_SUPPORTED}")


_NUMBERS_ONLY = object()


def _first_non_number(data):
    """The first item inside nested lists/tuples that is no bool, int or float (or
    ``_NUMBERS_ONLY``)."""
    if isinstance(data, (list, tuple)):
        for item in data:
            found = _first_non_number(item)
            if found is not _NUMBERS_ONLY:
                return found
        return _NUMBERS_ONLY
    if isinstance(data, (bool, int, float, np.bool_, np.integer, np.floating)):
        return _NUMBERS_ONLY
    if isinstance(data, np.ndarray) and data.dtype.kind in _KINDS:
        return _NUMBERS_ONLY
    return data


def _check_int_range(data, op: str) -> None:
    """A Python int beyond int64 (NumPy makes it uint64 or an object): PyTorch's overflow."""
    if isinstance(data, (list, tuple)):
        for item in data:
            _check_int_range(item, op)
    elif isinstance(data, int) and not _INT64.min <= data <= _INT64.max:
        raise IntegerOverflowError(
            f"{op}: the integer {data} is out of range for int64 (expected [-2**63, "
            "2**63 - 1]); pass dtype=minidl.float64 for a floating-point tensor")


def _infer_dtype(data, op: str = "tensor", int_range: bool = True) -> Optional[np.dtype]:
    """The dtype PyTorch would pick for ``data``: arrays keep theirs; Python floats -> float32.
    Data that no tensor can hold is refused here (see ``_KINDS``), and (if ``int_range``)
    Python ints beyond int64."""
    if isinstance(data, Tensor):
        return None
    if type(data) in backend._BY_ARRAY_TYPE or isinstance(data, np.generic):
        _check_kind(data.dtype, data, op)
        return None
    try:
        kind = np.asarray(data).dtype
    except ValueError as exc:  # ragged nested lists
        raise ShapeError(f"{op}: cannot make a tensor from nested sequences of unequal "
                         f"lengths ({_ragged(exc)})") from None
    if int_range and kind.kind in "uO":  # (uint64 or objects from Python ints beyond int64)
        _check_int_range(data, op)
    if not (kind.kind == "O" and not int_range and _first_non_number(data) is _NUMBERS_ONLY):
        _check_kind(kind, data, op)  # (big Python ints are objects: fine for a float dtype)
    if kind.kind != "f":
        return None
    # Python floats become float32; NumPy floats inside the data keep their own precision, so
    # [1.0, np.float64(2.0)] is float64, as in PyTorch.
    return np.result_type(get_default_dtype(), *_numpy_float_dtypes(data, []))


def _ragged(exc: ValueError) -> str:
    """NumPy's ragged-list message in minidl's words."""
    match = re.search(r"inhomogeneous shape after (\d+) dimensions?\. The detected shape was "
                      r"(\([\d, ]*\))", str(exc))
    if match is None:
        return str(exc)
    return (f"the items at dim {match[1]} differ in length; the dims before have shape "
            f"{match[2]}")


def _numpy_float_dtypes(data, found: list) -> list:
    """The dtypes of the NumPy floats (scalars or arrays) inside nested lists and tuples."""
    if isinstance(data, (list, tuple)):
        for item in data:
            if type(item) is not float and type(item) is not int:  # (the common case: skip)
                _numpy_float_dtypes(item, found)
    elif isinstance(data, (np.generic, np.ndarray)) and data.dtype.kind == "f":
        found.append(data.dtype)
    return found


def _device_for(data, device) -> str:
    """The device asked for; if none, the device of a Tensor or device array given as data (as
    in PyTorch); else the CPU."""
    if device is None and isinstance(data, Tensor):
        return data.device
    if device is None and type(data) in backend._BY_ARRAY_TYPE:
        return backend.device_of(data)
    return backend.parse_device(device)


def tensor(data, dtype=None, device: Optional[str] = None,
           requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a list, a number, an array, a Tensor)."""
    device = _device_for(data, device)
    if isinstance(data, Tensor):
        data = data._array
    array = _convert(data, dtype, device, "tensor")
    if array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def _convert(data, dtype, device: str, op: str):
    """``data`` as an array of ``dtype`` (if given, else PyTorch's choice) on ``device``."""
    asked = _dtype(dtype)
    inferred = _infer_dtype(data, op, int_range=asked is None)
    try:
        return backend.asarray(data, asked or inferred, device)
    except OverflowError as exc:  # tensor([300], dtype=uint8)
        raise IntegerOverflowError(f"{op}: a value is out of range for dtype {asked}: "
                                   f"{exc}") from None


def as_tensor(data, dtype=None, device: Optional[str] = None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    device = _device_for(data, device)
    data = data._array if isinstance(data, Tensor) else data
    return Tensor(_convert(data, dtype, device, "as_tensor"))


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor that shares memory with the NumPy array (``torch.from_numpy``): a change
    through either is seen by the other. Its dtype is the array's."""
    if type(array) is not np.ndarray:
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    _check_kind(array.dtype, array, "from_numpy")
    return Tensor(array)


def _new(device: Optional[str], make) -> np.ndarray:
    """Call ``make(xp)`` to create an array directly on ``device`` (no host round trip)."""
    device = backend.parse_device(device)
    with backend.selected(device):
        return make(backend.xp_for(device))


def _size(size, op: str):
    shape = _shape_args(size, op)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{op}: negative dimension in size {shape}")
    return shape


def _float_dtype(dtype, op: str) -> np.dtype:
    dtype = _dtype(dtype) or get_default_dtype()
    if dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point dtype, got {dtype}")
    return dtype


def _like_out(op: str, out: Optional[Tensor], dtype, device):
    """The dtype and device to make a tensor in when it is to be written into ``out``: out's,
    as in PyTorch, which refuses a ``dtype`` other than out's."""
    if out is None:
        return dtype, device
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
    if dtype is not None and _dtype(dtype) != out.dtype:
        raise DTypeError(f"{op}: dtype {_dtype(dtype)} does not match the dtype of out "
                         f"({out.dtype})")
    return out.dtype, out.device if device is None else device


def _written(op: str, result: Tensor, out: Optional[Tensor]) -> Tensor:
    """``result``, or ``out`` holding it (``write_out``'s rules: an out of another shape is
    resized, as in PyTorch)."""
    return result if out is None else write_out(op, result, out)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, *,
         out=None) -> Tensor:
    dtype, device = _like_out("full", out, dtype, device)
    shape = _size(size if isinstance(size, (tuple, list)) else (size,), "full")
    dtype = _dtype(dtype) or (_infer_dtype(fill_value, "full") or np.asarray(fill_value).dtype)
    array = _new(device, lambda xp: xp.full(shape, fill_value, dtype=dtype))
    return _written("full", Tensor(array, requires_grad=requires_grad), out)


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like_out("zeros", out, dtype, device)
    y = full(_size(size, "zeros"), 0, dtype or get_default_dtype(), device, requires_grad)
    return _written("zeros", y, out)


def ones(*size, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like_out("ones", out, dtype, device)
    y = full(_size(size, "ones"), 1, dtype or get_default_dtype(), device, requires_grad)
    return _written("ones", y, out)


def empty(*size, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uninitialised values; with ``out``, out itself (resized to ``size`` if it differs)."""
    dtype, device = _like_out("empty", out, dtype, device)
    shape = _size(size, "empty")
    array = _new(device, lambda xp: xp.empty(shape, dtype=_dtype(dtype) or get_default_dtype()))
    return _written("empty", Tensor(array, requires_grad=requires_grad), out)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``full(x.shape, ...)``, with x's memory layout on x's device (PyTorch's default
    ``preserve_format``): ``y.backward(ones_like(y))`` then hands a convolution its gradient in
    the batch-last order it works in, instead of one that it must transpose first."""
    if device is not None and backend.parse_device(device) != x.device:
        return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device,
                    requires_grad=requires_grad)
    dtype = _dtype(dtype) or x.dtype
    array = backend.get_array_module(x._array).full_like(x._array, fill_value, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full_like(x, 0, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full_like(x, 1, dtype, device, requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float.
    ``arange(n)`` is ``arange(0, n)``, as in PyTorch."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    dtype, device = _like_out("arange", out, dtype, device)
    dtype = _dtype(dtype) or _infer_dtype([start, end, step], "arange") or np.dtype(np.int64)
    if dtype.kind in "iu":
        start, end, step = _integer_range(start, end, step, dtype)
    array = _new(device, lambda xp: xp.arange(start, end, step, dtype=dtype))
    return _written("arange", Tensor(array, requires_grad=requires_grad), out)


def _integer_range(start, end, step, dtype: np.dtype):
    """arange's bounds for an integer dtype, as PyTorch takes them: start and step truncated
    toward 0 (a step truncated to 0 is refused); as many values as the truncated bounds give
    for int64, as the bounds given give for the narrower dtypes (PyTorch's own difference)."""
    count = max(math.ceil((end - start) / step), 0)
    whole_start, whole_step = int(start), int(step)
    if whole_step == 0:
        raise ValueError(f"arange: step must be non-zero, and the step {step!r} is 0 once "
                         f"truncated to the integer dtype {dtype}")
    whole_end = int(end) if dtype == np.int64 else whole_start + count * whole_step
    return whole_start, whole_end, whole_step


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False, *,
             out=None) -> Tensor:
    """``steps`` values evenly from ``start`` to ``end``; with an integer dtype, computed in
    float64 and truncated toward 0, as in PyTorch."""
    dtype, device = _like_out("linspace", out, dtype, device)
    dtype = _dtype(dtype) or get_default_dtype()
    if dtype.kind not in "fiu":
        raise DTypeError(f"linspace: expected a floating-point or integer dtype, got {dtype}")
    if dtype.kind == "f":
        array = _new(device, lambda xp: xp.linspace(start, end, steps, dtype=dtype))
    else:
        array = _new(device, lambda xp: xp.trunc(xp.linspace(start, end, steps)).astype(dtype))
    return _written("linspace", Tensor(array, requires_grad=requires_grad), out)


def eye(n: int, m: Optional[int] = None, dtype=None, device=None, requires_grad=False, *,
        out=None):
    dtype, device = _like_out("eye", out, dtype, device)
    array = _new(device, lambda xp: xp.eye(n, m, dtype=_dtype(dtype) or get_default_dtype()))
    return _written("eye", Tensor(array, requires_grad=requires_grad), out)


def _generator(generator: Optional[Generator], device) -> Generator:
    device = backend.parse_device(device)
    if generator is None:
        return random_streams.default_generator(device)
    if generator.device != device:
        raise backend.DeviceError(f"the generator is on {generator.device} but the tensor is "
                                  f"to be created on {device}")
    return generator


def randn(*size, out=None, dtype=None, device=None, generator=None,
          requires_grad=False) -> Tensor:
    """Samples from the standard normal distribution N(0, 1)."""
    dtype, device = _like_out("randn", out, dtype, device)
    shape, dtype = _size(size, "randn"), _float_dtype(dtype, "randn")
    gen = _generator(generator, device)
    with backend.selected(gen.device):
        y = Tensor(gen.normal(shape, dtype), requires_grad=requires_grad)
    return _written("randn", y, out)


def rand(*size, out=None, dtype=None, device=None, generator=None,
         requires_grad=False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    dtype, device = _like_out("rand", out, dtype, device)
    shape, dtype = _size(size, "rand"), _float_dtype(dtype, "rand")
    gen = _generator(generator, device)
    with backend.selected(gen.device):
        y = Tensor(gen.uniform(shape, dtype), requires_grad=requires_grad)
    return _written("rand", y, out)


def randint(low=0, high=None, size=None, *, out=None, dtype=None, device=None,
            generator=None, requires_grad=False) -> Tensor:
    """Integers drawn uniformly from [low, high). PyTorch's two forms: ``randint(high, size)``
    (low is 0) and ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    if size is None:
        raise TypeError("randint: missing the size (a tuple of ints), as in "
                        "randint(high, size) or randint(low, high, size)")
    dtype, device = _like_out("randint", out, dtype, device)
    gen = _generator(generator, device)
    with backend.selected(gen.device):
        array = gen.integers(low, high, _size(tuple(size), "randint"))
    y = Tensor(array.astype(_dtype(dtype) or np.int64, copy=False), requires_grad=requires_grad)
    return _written("randint", y, out)


def randn_like(x: Tensor, dtype=None, device=None, generator=None,
               requires_grad=False) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                 generator=generator, requires_grad=requires_grad)


def rand_like(x: Tensor, dtype=None, device=None, generator=None,
              requires_grad=False) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                generator=generator, requires_grad=requires_grad)
