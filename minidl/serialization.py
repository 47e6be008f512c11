"""``minidl.save`` and ``minidl.load``: tensors and state dicts to a file and back, never pickled.

PyTorch's ``torch.save`` pickles, and unpickling a file can run any code it holds (which is
why ``torch.load`` now defaults to ``weights_only=True``). minidl never pickles: a file holds
data only, in two parts.

* The tensors (and NumPy arrays) are a **safetensors** file, written and read by the
  ``safetensors`` library: a JSON header of names, dtypes, shapes and byte offsets, then the
  raw bytes. It is the format models are shared in, so ``minidl.save(model.state_dict(), f)``
  writes a file that PyTorch reads with ``safetensors.torch.load_file`` (the tensor names are
  the state dict's keys), and a ``.safetensors`` file PyTorch wrote loads here as a dict.
* Everything around the tensors is JSON in the file's metadata (key ``"minidl"``), with a
  small tagged object where each tensor was. Value -> JSON:

      None, bool, int, float, str   themselves (inf and nan as JSON's usual Infinity, NaN)
      list                          a JSON array
      Tensor                        {"__tensor__": name}, plus "requires_grad": true and
                                    "device": "cuda:0" when it was not a plain CPU tensor
      NumPy (or CuPy) array         {"__ndarray__": name}; it loads as a NumPy array
      tuple                         {"__tuple__": [items]}
      dict of str keys              a JSON object, unless a key has the form __name__
      any other dict                {"__dict__": [[key, value], ...]}

  Keys of the form ``__name__`` are the tags, so a user's dict that has one (say
  ``{"__tensor__": "w"}``) is written in the ``__dict__`` form and cannot pass for a tensor
  when loaded. JSON objects have only string keys; the ``__dict__`` form keeps int keys ints
  (optimizer state dicts are keyed by parameter index), so ``{1: a, "1": b}`` stays two entries.

A file is untrusted input, and ``load`` treats it so: the safetensors library checks every
offset and size against the file before anything is allocated, the JSON's nesting depth is
measured before it is parsed, every tag is checked, and every tensor must be named exactly
where the JSON says. Any problem is a ``CheckpointError`` naming the file; a file of random
bytes is "not a safetensors file, or truncated or corrupt". A path is written with
``atomic_write``, so a crash mid-save leaves the previous file whole.

Read next: ``minidl/train/checkpoint.py`` (a training run's checkpoint: one ``minidl.save`` file).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, BinaryIO, Dict, Optional, Set, Tuple, Union

import numpy as np

from minidl import backend, dtypes
from minidl.atomic_file import atomic_write
from minidl.errors import DeviceError, MinidlError
from minidl.tensor import Tensor

File = Union[str, "os.PathLike[str]", BinaryIO]

VERSION = 1  # of the JSON layout above; a newer file is refused with "upgrade minidl"
MAX_DEPTH = 100  # containers inside containers, in what is saved
_TENSOR, _NDARRAY, _TUPLE, _DICT = "__tensor__", "__ndarray__", "__tuple__", "__dict__"
_TENSOR_DTYPES = {dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16,
                  dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.bool_}
# What safetensors' NumPy API reads back, so what may be saved (arrays only need these).
_ARRAY_DTYPES = _TENSOR_DTYPES | {np.dtype(t) for t in (np.uint16, np.uint32, np.uint64)}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


class CheckpointError(MinidlError, ValueError):
    """A file that cannot be saved or loaded, or does not fit: the message names the file."""

    def __init__(self, path: Any, problem: str):
        self.path = _describe(path)
        super().__init__(f"checkpoint {self.path}: {problem}")


class MissingDependencyError(MinidlError, ImportError):
    """An optional library that this feature needs is not installed (the message says how)."""


def _describe(f: Any) -> str:
    if _is_path(f):
        return os.fspath(f)
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__} object>"


def _safetensors_numpy():
    """safetensors' NumPy API, imported on first use: it is an optional dependency."""
    try:
        from safetensors import numpy as safetensors_numpy
    except ImportError:
        raise MissingDependencyError(
            "minidl.save and minidl.load store tensors with the safetensors library, which is "
            "not installed: pip install safetensors (or pip install 'minidl[io]')") from None
    return safetensors_numpy


def _is_tag(key: Any) -> bool:
    return isinstance(key, str) and len(key) >= 4 and key.startswith("__") and key.endswith("__")


# ----------------------------------------------------------------------------- saving
class _Encoder:
    """Turns one object into (JSON-ready structure, {name: host array}) - see the docstring.

    ``keys`` is the path of dict keys and list positions from the object to a value: it names
    the value in error messages and the array in the file, and its length is the depth.
    """

    def __init__(self) -> None:
        self.arrays: Dict[str, np.ndarray] = {}
        self.open: Set[int] = set()  # the containers being encoded: a cycle would never end

    def encode(self, value: Any, keys: Tuple[Any, ...]) -> Any:
        if isinstance(value, Tensor):
            tag = {_TENSOR: self.store(value._array, keys)}
            if value.requires_grad:
                tag["requires_grad"] = True
            if value.device != "cpu":
                tag["device"] = value.device
            return tag
        if isinstance(value, np.generic):  # a NumPy scalar, e.g. from .sum(): a plain number
            return value.item()
        if hasattr(value, "shape") and hasattr(value, "dtype"):  # a NumPy or CuPy array
            return {_NDARRAY: self.store(value, keys)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if not isinstance(value, (list, tuple, dict)):
            raise TypeError(f"{_where(keys)}: {_unsaveable(value)}")
        if len(keys) >= MAX_DEPTH:
            raise ValueError(f"{_where(keys)}: containers nest deeper than {MAX_DEPTH} levels")
        if id(value) in self.open:
            raise ValueError(f"{_where(keys)}: the {type(value).__name__} contains itself")
        self.open.add(id(value))
        try:
            if isinstance(value, dict):
                return self.encode_dict(value, keys)
            items = [self.encode(item, keys + (i,)) for i, item in enumerate(value)]
            return {_TUPLE: items} if isinstance(value, tuple) else items
        finally:
            self.open.discard(id(value))

    def encode_dict(self, value: dict, keys: Tuple[Any, ...]) -> Any:
        for key in value:
            if not isinstance(key, (str, int, np.integer)) or isinstance(key, bool):
                raise TypeError(f"{_where(keys)}: dict keys must be strings or integers, got "
                                f"{key!r} ({type(key).__name__})")
        pairs = [(key, self.encode(item, keys + (key,))) for key, item in value.items()]
        if all(isinstance(key, str) and not _is_tag(key) for key in value):
            return dict(pairs)
        # int(): a NumPy integer key (equal to the int, so one key in the dict) as a number.
        return {_DICT: [[key if isinstance(key, str) else int(key), item]
                        for key, item in pairs]}

    def store(self, array: Any, keys: Tuple[Any, ...]) -> str:
        """Keep a host copy of ``array`` under a new name made from ``keys``; the name."""
        # C order: safetensors copies raw memory. (np.ascontiguousarray would make 0-d 1-d.)
        host = np.require(backend.to_host(array), requirements="C")
        if host.dtype not in _ARRAY_DTYPES:
            raise TypeError(f"{_where(keys)}: arrays of dtype {host.dtype} cannot be saved "
                            "(only bool, integers and float16/32/64)")
        # "optimizer/state/0/exp_avg": so the keys of a state dict saved as it is are exactly
        # the tensor names, where PyTorch looks for them. A clash gets a "#n" suffix.
        name = base = "/".join(map(str, keys)) or "tensor"
        n = 1
        while name in self.arrays or name == "__metadata__":  # safetensors' own header key
            name, n = f"{base}#{n}", n + 1
        self.arrays[name] = host
        return name


def _where(keys: Tuple[Any, ...]) -> str:
    return "the object" + "".join(f"[{key!r}]" for key in keys)


def _unsaveable(value: Any) -> str:
    kind = type(value).__name__
    if hasattr(value, "state_dict"):
        return (f"cannot save a {kind} object: minidl saves data, never objects (it does not "
                "pickle). Save its state_dict() instead: minidl.save(model.state_dict(), f), "
                "then model.load_state_dict(minidl.load(f)) into a freshly built model")
    return (f"cannot save a {kind}: minidl.save takes tensors, arrays, numbers, strings, None, "
            "and dicts, lists and tuples of them (for a model or an optimizer, its "
            "state_dict())")


def save(obj: Any, f: File) -> None:
    """Save ``obj`` (tensors, arrays, numbers, strings, ``None``, and dicts, lists and tuples of
    them; typically ``model.state_dict()``) to ``f``, a path or a binary file object.

    A path is written atomically (see ``atomic_file.py``). Raises ``CheckpointError`` naming
    the file for anything that cannot be saved (a Module: save its ``state_dict()``) or a
    failed write, and then the file previously at the path, if any, is unchanged.
    """
    _check_file(f, "write")
    encoder = _Encoder()
    try:
        structure = encoder.encode(obj, ())
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f, f"cannot be saved: {exc}") from None
    metadata = {"minidl": json.dumps({"version": VERSION, "value": structure})}
    data = _safetensors_numpy().save(encoder.arrays, metadata=metadata)
    if not _is_path(f):
        try:
            f.write(data)
        except TypeError:
            raise CheckpointError(f, "a file object must be opened in binary mode ('wb')"
                                  ) from None
        return
    try:
        with atomic_write(f) as stream:
            stream.write(data)
    except OSError as exc:
        raise CheckpointError(f, f"could not be written ({exc.strerror or exc}); the "
                              "previous file, if any, is unchanged") from None


def _is_path(f: Any) -> bool:
    return isinstance(f, (str, os.PathLike))


def _check_file(f: Any, method: str) -> None:
    if not _is_path(f) and not hasattr(f, method):
        raise CheckpointError(f, f"expected a path or a binary file object, got a "
                              f"{type(f).__name__}")


# ----------------------------------------------------------------------------- loading
def _read(f: File) -> bytes:
    _check_file(f, "read")
    if not _is_path(f):
        data = f.read()
        if not isinstance(data, bytes):
            raise CheckpointError(f, "a file object must be opened in binary mode ('rb')")
        return data
    try:
        with open(f, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        raise CheckpointError(f, "no such file") from None
    except OSError as exc:
        raise CheckpointError(f, f"cannot be read ({exc.strerror or exc})") from None


def _not_safetensors(data: bytes) -> str:
    """Why ``data`` is not a safetensors file, with a hint when we can tell what it is."""
    if data[:4] == b"PK\x03\x04":
        return ("not a safetensors file but a zip archive: a torch.save file or an old minidl "
                ".npz checkpoint? minidl reads only safetensors files (it never unpickles); in "
                "PyTorch, write one with safetensors.torch.save_file(model.state_dict(), path)")
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "not a safetensors file but a pickle, which minidl never loads (it can run code)"
    return "not a safetensors file, or truncated or corrupt"


def load(f: File, map_location: Optional[str] = None, *, weights_only: bool = True) -> Any:
    """The object saved in ``f`` (a path or a binary file object) by ``minidl.save``, with
    tensors as Tensors and arrays as NumPy arrays; a ``.safetensors`` file from elsewhere (from
    PyTorch, say) loads as a dict of name -> Tensor.

    Tensors go back to the device they were saved from, or all to ``map_location``
    (e.g. ``"cpu"``). ``weights_only`` is accepted for PyTorch's sake: a minidl file holds only
    data, so every load is weights-only. Raises ``CheckpointError`` naming the file and what is
    wrong with it.
    """
    if map_location is not None:
        map_location = backend.parse_device(map_location)  # a bad one is a DeviceError now
    safetensors_numpy = _safetensors_numpy()
    data = _read(f)
    try:
        arrays = safetensors_numpy.load(data)
    except KeyError as exc:  # a dtype NumPy has no type for, such as bfloat16
        raise CheckpointError(f, f"holds a tensor of dtype {exc}, which NumPy (so minidl) "
                              "cannot hold; convert it (to float32, say) before saving") from None
    except Exception as exc:  # the library's error, or any other that bad bytes lead it to
        raise CheckpointError(f, f"{_not_safetensors(data)} ({exc})") from None
    # The library has validated the header: the 8-byte length, then JSON with our metadata.
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    text = (header.get("__metadata__") or {}).get("minidl")
    if text is None:  # not written by minidl: its tensors, by name
        return {name: _tensor(f, name, array, map_location) for name, array in arrays.items()}
    return _Decoder(f, arrays, map_location).decode_file(text)


def _tensor(f: File, name: str, array: np.ndarray, device: Optional[str],
            requires_grad: bool = False) -> Tensor:
    if array.dtype not in _TENSOR_DTYPES:
        raise CheckpointError(f, f"tensor {name!r} has dtype {array.dtype}, which minidl "
                              "tensors do not support")
    array = array.copy()  # the library's arrays are read-only views of the file's bytes
    if device is not None and device != "cpu":
        try:
            array = backend.to_device(array, backend.parse_device(device))
        except DeviceError as exc:
            raise CheckpointError(f, f"tensor {name!r} cannot go to device {device!r} ({exc});"
                                  " load it with map_location='cpu'") from None
    return Tensor._make(array, requires_grad)


def _json_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in the JSON ``text``, found without parsing it (parsing a
    crafted 100,000-deep text would exhaust Python's recursion)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub('""', text)).encode("ascii")
    steps = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((steps == ord("[")) | (steps == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def _unique_keys(pairs: list) -> dict:
    """json.loads keeps the last of repeated keys silently; a file we wrote never has any."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError(f"a JSON object repeats a key ({sorted(result)[:5]})")
    return result


class _Decoder:
    """The inverse of ``_Encoder``, checking every step (a file is untrusted input)."""

    def __init__(self, f: File, arrays: Dict[str, np.ndarray], map_location: Optional[str]):
        self.f, self.arrays, self.map_location = f, arrays, map_location
        self.used: Set[str] = set()

    def corrupt(self, problem: str) -> CheckpointError:
        return CheckpointError(self.f, f"its minidl metadata is corrupt: {problem}")

    def decode_file(self, text: Any) -> Any:
        if not isinstance(text, str):
            raise self.corrupt("not a string")
        # A container is at most 3 JSON levels ({"__dict__": [[key, value]]}); the outer
        # {"version", "value"} and a tensor's tag add one each.
        if _json_depth(text) > 3 * MAX_DEPTH + 2:
            raise self.corrupt(f"it nests deeper than {MAX_DEPTH} containers")
        try:
            meta = json.loads(text, object_pairs_hook=_unique_keys)
        except ValueError as exc:  # not JSON, a repeated key, or an int too long to convert
            raise self.corrupt(f"not valid JSON ({exc})") from None
        if not isinstance(meta, dict) or type(meta.get("version")) is not int:
            raise self.corrupt("no format version")
        if meta["version"] > VERSION:
            raise CheckpointError(self.f, f"written in format version {meta['version']} by a "
                                  f"newer minidl (this one reads up to {VERSION}): upgrade minidl")
        if "value" not in meta:
            raise self.corrupt("no value")
        value = self.decode(meta["value"])
        unused = sorted(set(self.arrays) - self.used)
        if unused:
            raise self.corrupt(f"tensors that the structure does not name: {unused[:5]}")
        return value

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict):
            return node  # None, bool, int, float, str
        tags = [key for key in node if _is_tag(key)]
        if not tags:
            return {key: self.decode(item) for key, item in node.items()}
        tag = tags[0]
        allowed = {_TENSOR: {_TENSOR, "requires_grad", "device"}}.get(tag, {tag})
        if len(tags) > 1 or not set(node) <= allowed:
            raise self.corrupt(f"an object with keys {sorted(node)[:5]}")
        content = node[tag]
        if tag in (_TENSOR, _NDARRAY):
            array = self.array(content)
            if tag == _NDARRAY:
                return array.copy()
            requires_grad, device = node.get("requires_grad", False), node.get("device")
            if not isinstance(requires_grad, bool) or not isinstance(device, (str, type(None))):
                raise self.corrupt(f"tensor {content!r} has a bad requires_grad or device")
            if requires_grad and array.dtype.kind != "f":  # only floats have gradients
                raise self.corrupt(f"tensor {content!r} of dtype {array.dtype} requires grad")
            return _tensor(self.f, content, array, self.map_location or device, requires_grad)
        if tag == _TUPLE and isinstance(content, list):
            return tuple(self.decode(item) for item in content)
        if tag == _DICT and isinstance(content, list):
            if not all(isinstance(pair, list) and len(pair) == 2 and
                       isinstance(pair[0], (str, int)) and not isinstance(pair[0], bool)
                       for pair in content):
                raise self.corrupt("a __dict__ entry is not a [str or int key, value] pair")
            result = {key: self.decode(item) for key, item in content}
            if len(result) != len(content):  # a dict never repeats a key: crafted
                raise self.corrupt("a __dict__ repeats a key")
            return result
        raise self.corrupt(f"unknown tag {tag!r} or bad content")

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise self.corrupt(f"it names a tensor {name!r} that the file does not hold")
        self.used.add(name)
        return self.arrays[name]
