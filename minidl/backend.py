"""The one place that knows which array libraries exist: NumPy for "cpu", CuPy for "cuda".

Everything else in minidl asks this module instead of importing CuPy:

* ``Device("cuda:1")`` is a device (``minidl.device``, as ``torch.device``): a string with
  ``.type`` and ``.index``;
* ``parse_device("cuda")`` turns a user's device spec into a canonical, available device;
* ``get_array_module(array)`` returns the module (``numpy`` or ``cupy``) that operates on an array;
* ``device_of(array)`` names the device an array lives on;
* ``device_count("cuda")`` says how many devices of a type this machine has (``minidl.cuda``);
* ``set_default_device(device)`` picks where tensors are created when no device is given;
* ``asarray(data, dtype, device)`` / ``to_device(array, device)`` create and move arrays;
* ``scatter_add(target, index, values)`` accumulates values at (possibly repeated) indices;

CuPy is imported lazily, the first time a "cuda" device is asked for, so minidl imports and works
fully without it. A device *type* is a small ``Backend`` record; tests register a stand-in device
whose arrays are a NumPy subclass, so that device plumbing is exercised on machines without a GPU.

Read next: ``minidl/random_streams.py`` (seeded random numbers on each device).
"""
from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

import numpy as np

from minidl import scatter_rows
from minidl.errors import DeviceError


@dataclass
class Backend:
    """How one device type stores arrays.

    ``xp`` is the NumPy-compatible module; ``array_type`` the exact class of its arrays;
    ``to_device(host_array, index)`` copies a NumPy array onto device ``index``; ``to_host`` copies
    back; ``device_index(array)`` says which of the type's devices holds an array;
    ``make_rng(seed)`` creates the type's seeded random generator (called with the device
    selected).
    """

    name: str
    xp: Any
    array_type: type
    to_device: Callable[[np.ndarray, int], Any]
    to_host: Callable[[Any], np.ndarray]
    device_index: Callable[[Any], int]
    scatter_add: Callable[[Any, Any, Any], None]
    device_count: Callable[[], int]
    # Defaults fit NumPy-backed device types (such as the stand-ins tests register).
    make_rng: Callable[[int], Any] = lambda seed: np.random.Generator(np.random.PCG64(seed))
    selected: Callable[[int], Any] = lambda index: contextlib.nullcontext()
    synchronize: Callable[[int], None] = lambda index: None  # (NumPy computes synchronously)


def _numpy_backend() -> Backend:
    return Backend(
        name="cpu",
        xp=np,
        array_type=np.ndarray,
        to_device=lambda a, index: np.asarray(a),
        to_host=lambda a: np.asarray(a),
        device_index=lambda a: 0,
        # repeated indices each add their value (plain += would not): np.add.at, sped up
        scatter_add=scatter_rows.scatter_add,
        device_count=lambda: 1,
        make_rng=lambda seed: np.random.Generator(np.random.PCG64(seed)),
    )


def _cupy_backend() -> Backend:
    try:
        cupy = importlib.import_module("cupy")
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, or CUDA present without a usable driver
        raise DeviceError(
            f"device 'cuda' is not available: CuPy could not be loaded or found no GPU ({exc}). "
            "Install the GPU extra (pip install 'minidl[gpu]') on a machine with a CUDA GPU, "
            "or use device='cpu'."
        ) from None

    def to_device(host_array, index):
        with cupy.cuda.Device(index):
            return cupy.asarray(host_array)

    return Backend(
        name="cuda",
        xp=cupy,
        array_type=cupy.ndarray,
        to_device=to_device,
        to_host=cupy.asnumpy,
        device_index=lambda a: a.device.id,
        # cupy.add.at accumulates repeated indices atomically, like np.add.at.
        scatter_add=cupy.add.at,
        device_count=lambda: count,
        make_rng=cupy.random.default_rng,
        selected=cupy.cuda.Device,
        synchronize=lambda index: cupy.cuda.Device(index).synchronize(),
    )


def _no_mps_backend() -> Backend:
    raise DeviceError("device 'mps' (Apple GPUs) is not available: minidl computes with NumPy "
                      "('cpu') or CuPy ('cuda'); use device='cpu'")


# Device types known so far. "cuda" is loaded on first use; tests may register stand-ins.
_BACKENDS: Dict[str, Backend] = {"cpu": _numpy_backend()}
_LOADERS: Dict[str, Callable[[], Backend]] = {"cuda": _cupy_backend, "mps": _no_mps_backend}
# Device type -> why it cannot be loaded (a failed CuPy import is not retried on every question)
_MISSING: Dict[str, DeviceError] = {}
# Exact array class -> device type, for the fast lookup in device_of().
_BY_ARRAY_TYPE: Dict[type, Backend] = {np.ndarray: _BACKENDS["cpu"]}


def register_backend(backend: Backend) -> None:
    """Make a device type known (used for CuPy on first use, and by tests for a stand-in)."""
    _BACKENDS[backend.name] = backend
    _BY_ARRAY_TYPE[backend.array_type] = backend


def unregister_backend(name: str) -> None:
    """Forget a device type registered with ``register_backend`` (tests clean up with this)."""
    backend = _BACKENDS.pop(name)
    _BY_ARRAY_TYPE.pop(backend.array_type, None)
    from minidl.random_streams import forget_generators  # (it builds on this module)
    forget_generators(name)


def _backend_for_type(device_type: str) -> Backend:
    if device_type not in _BACKENDS:
        if device_type not in _LOADERS:
            known = sorted(set(_BACKENDS) | set(_LOADERS))
            raise DeviceError(f"unknown device type {device_type!r}; expected one of {known}")
        if device_type in _MISSING:
            raise _MISSING[device_type]
        try:
            register_backend(_LOADERS[device_type]())
        except DeviceError as exc:
            _MISSING[device_type] = exc
            raise
    return _BACKENDS[device_type]


def device_count(device_type: str) -> int:
    """How many devices of ``device_type`` this machine has: 0 where its array library or
    driver is missing (``minidl.cuda.device_count()``)."""
    try:
        return _backend_for_type(device_type).device_count()
    except DeviceError:
        return 0


def synchronize(device: Any = None) -> None:
    """Wait until the device has finished the work queued on it (GPUs run asynchronously)."""
    backend, index = _split(parse_device(device))
    backend.synchronize(index)


class Device(str):
    """A device, ``minidl.device`` as ``torch.device``: ``device("cuda:1")``,
    ``device("cuda", 1)``, ``device(type="cpu")``, with ``.type`` and ``.index`` (None when not
    given).

    It is also the string that names it, so it equals ``"cpu"`` and works wherever a device
    string does (PyTorch's ``torch.device("cpu") == "cpu"`` is False: here it is True, and
    ``tensor.device`` is one of these). Making one checks the spelling only, not that the
    device exists: ``device("cuda" if minidl.cuda.is_available() else "cpu")`` is the idiom."""

    __slots__ = ()

    def __new__(cls, type: Any, index: Optional[int] = None):
        if isinstance(type, Device) and index is None:
            return type
        if not isinstance(type, str):
            raise DeviceError(f"device: expected a string such as 'cpu' or 'cuda:0', got "
                              f"{type!r}")
        name, colon, index_text = type.partition(":")
        if not name.isidentifier() or (colon and not index_text.isdigit()):
            raise DeviceError(f"device: {type!r} is not a device such as 'cpu', 'cuda' or "
                              "'cuda:1'")
        if colon and index is not None:
            raise DeviceError(f"device: {type!r} already names an index; got index={index}")
        if index is not None:
            if not isinstance(index, int) or index < 0:
                raise DeviceError(f"device: the index must be a non-negative int, got {index!r}")
            index_text = str(index)
        return str.__new__(cls, f"{name}:{index_text}" if index_text else name)

    @property
    def type(self) -> str:
        return self.partition(":")[0]

    @property
    def index(self) -> Optional[int]:
        index_text = self.partition(":")[2]
        return int(index_text) if index_text else None

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):  # pickled (by multiprocessing) as what it is, not as a str
        return Device, (str(self),)


_CPU = Device("cpu")
_DEVICES: Dict[str, Device] = {"cpu": _CPU}  # canonical name -> its Device, made once
_default_device = _CPU


def _canonical(name: str) -> Device:
    found = _DEVICES.get(name)
    if found is None:
        found = _DEVICES[name] = Device(name)
    return found


def parse_device(spec: Any) -> Device:
    """The canonical device ``spec`` names, checked to exist: ``device("cpu")``, or
    ``device("<type>:<index>")`` for others (``"cuda"`` becomes ``"cuda:0"``). None means the
    default device (``set_default_device``; the CPU unless changed)."""
    if spec is None:
        return _default_device
    if not isinstance(spec, str):
        raise DeviceError(f"device must be a string such as 'cpu' or 'cuda:0', got {spec!r}")
    device_type, _, index_text = spec.partition(":")
    backend = _backend_for_type(device_type)
    if device_type == "cpu":
        if index_text not in ("", "0"):
            raise DeviceError(f"device '{spec}': the CPU has no index other than 0")
        return _CPU
    if index_text and not index_text.isdigit():
        raise DeviceError(f"device '{spec}': the index after ':' must be a number")
    index = int(index_text or 0)
    if index >= backend.device_count():
        raise DeviceError(
            f"device '{spec}' is not available: {backend.device_count()} {device_type} "
            "device(s) found"
        )
    return _canonical(f"{device_type}:{index}")


def set_default_device(spec: Any) -> None:
    """Create tensors on ``spec`` when no device is given (``minidl.set_default_device``, as in
    PyTorch); None restores the CPU."""
    global _default_device
    _default_device = _CPU if spec is None else parse_device(spec)


def get_default_device() -> Device:
    return _default_device


def _split(device: str):
    device_type, _, index_text = device.partition(":")
    return _backend_for_type(device_type), int(index_text or 0)


def backend_of(array: Any) -> Backend:
    """The device type of an array (``np.ndarray`` -> cpu, ``cupy.ndarray`` -> cuda, ...)."""
    backend = _BY_ARRAY_TYPE.get(type(array))
    if backend is None:
        raise DeviceError(f"unsupported array type {type(array).__name__}")
    return backend


def get_array_module(array: Any):
    """The NumPy-compatible module for ``array``: ``numpy`` for CPU arrays, ``cupy`` for GPU."""
    backend = _BY_ARRAY_TYPE.get(type(array))  # backend_of, inlined: every op calls this
    if backend is None:
        return backend_of(array).xp  # raises the error
    return backend.xp


def device_of(array: Any) -> Device:
    """The (canonical) device an array lives on."""
    backend = backend_of(array)
    if backend.name == "cpu":
        return _CPU
    return _canonical(f"{backend.name}:{backend.device_index(array)}")


def xp_for(device: str):
    """The array module used for a (canonical) device string."""
    return _split(device)[0].xp


def asarray(data: Any, dtype: Any = None, device: str = "cpu"):
    """Array of ``data`` on ``device``; host data is converted with NumPy first."""
    backend, index = _split(device)
    if type(data) is backend.array_type and backend.device_index(data) == index:
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if type(data) in _BY_ARRAY_TYPE and type(data) is not np.ndarray:
        data = to_host(data)
    host = np.asarray(data, dtype=dtype)
    return backend.to_device(host, index)


def selected(device: str):
    """Context manager under which ``xp_for(device)`` creates arrays on ``device``."""
    backend, index = _split(device)
    return backend.selected(index)


def to_host(array: Any) -> np.ndarray:
    """Copy an array to a NumPy array (no copy when it is one already)."""
    return backend_of(array).to_host(array)


def to_device(array: Any, device: str):
    """Copy ``array`` to ``device`` (through the host when the device types differ)."""
    if device_of(array) == device:
        return array
    return asarray(to_host(array), device=device)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` in place, where repeated indices each add their value."""
    backend_of(target).scatter_add(target, index, values)


def same_device_or_raise(op_name: str, arrays) -> None:
    """Raise a DeviceError naming both devices if ``arrays`` are not all on one device."""
    devices = [device_of(a) for a in arrays]
    for device in devices[1:]:
        if device != devices[0]:
            raise DeviceError(
                f"{op_name}: expected all tensors on one device, but found {devices[0]} and "
                f"{device}; move them with .to('{devices[0]}') or .to('{device}')"
            )
