"""Checkpoints: a training run's whole state in one file, written atomically, read without pickle.

What is saved is a nested structure of dicts, lists, numbers, strings, ``None`` and arrays
(NumPy or CuPy arrays, or Tensors): typically ``model.state_dict()``, ``optimizer.state_dict()``,
``scheduler.state_dict()``, ``loader.state_dict()``, the random-number states (``rng.py``) and
counters. ``save_checkpoint`` splits it in two:

* every array goes into a ``.npz`` file (a zip of ``.npy`` files) under the path of keys that
  leads to it, e.g. ``model/fc1.weight`` or ``optimizer/state/0/exp_avg``;
* everything else becomes JSON, with ``{"__array__": "model/fc1.weight"}`` where an array was,
  stored in the same zip as the uint8 array ``__meta__``; so the file is one unit.

``load_checkpoint`` reverses this with ``np.load(..., allow_pickle=False)``: a checkpoint holds
data only, never code, so opening one cannot run anything (unpickling could). JSON has only
string keys, so integer dict keys come back as strings (``Optimizer.load_state_dict`` accepts
both) and tuples come back as lists.

Writing is atomic: the file is written under a temporary name in the same directory, flushed
and ``fsync``-ed, renamed over the real name with ``os.replace`` (atomic on one file system),
and then the directory is ``fsync``-ed so that the rename itself is on disk. A crash or a
``kill -9`` at any moment leaves either the old complete file or the new complete one, and a
save that fails leaves the old file as it was.

Read next: ``rng.py`` (the random states a checkpoint must hold), ``early_stopping.py``.
"""
from __future__ import annotations

import contextlib
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Dict, Iterator, Optional, Union

import numpy as np

from minidl import backend
from minidl.data.datasets.download import _fsync_directory
from minidl.errors import MinidlError
from minidl.tensor import Tensor

PathLike = Union[str, "os.PathLike[str]"]

FORMAT = "minidl-checkpoint"
VERSION = 1
_META = "__meta__"  # the zip entry that holds the JSON
_ARRAY = "__array__"  # the JSON placeholder key for an array stored in the zip


class CheckpointError(MinidlError, ValueError):
    """A checkpoint that cannot be written, read, or used: the message names the file."""

    def __init__(self, path: PathLike, problem: str):
        self.path = os.fspath(path)
        super().__init__(f"checkpoint {self.path}: {problem}")


# ----------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[BinaryIO]:
    """``with atomic_write(path) as f: f.write(...)``: ``path`` changes only if the block ends
    without an error, and then all at once (see the module docstring for why each step)."""
    path = Path(path)
    # One fixed temporary name per target: a save killed half-way leaves at most one stray
    # ".name.partial" file, which the next save of the same name overwrites.
    temp = path.with_name(f".{path.name}.partial")
    try:
        with open(temp, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())  # the bytes are on disk before the name points at them
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)  # the rename is on disk too


def _split_arrays(value: Any, key: str, arrays: Dict[str, np.ndarray]) -> Any:
    """``value`` as JSON-ready data, moving every array into ``arrays`` under its key path."""
    if isinstance(value, Tensor):
        value = value._array
    if isinstance(value, np.generic):  # a NumPy scalar: a plain number in JSON
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a NumPy or CuPy array
        if key in arrays or key == _META:
            raise ValueError(f"two arrays would be stored under the same name {key!r}")
        arrays[key] = backend.to_host(value)
        return {_ARRAY: key}
    if isinstance(value, dict):
        out = {}
        for name, item in value.items():
            if not isinstance(name, (str, int)) or isinstance(name, bool):
                raise TypeError(f"{key or 'the state'}: dict keys must be strings or "
                                f"integers, got {name!r}")
            out[str(name)] = _split_arrays(item, f"{key}/{name}" if key else str(name), arrays)
        return out
    if isinstance(value, (list, tuple)):
        return [_split_arrays(item, f"{key}/{i}", arrays) for i, item in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{key or 'the state'}: cannot save a {type(value).__name__} in a "
                    "checkpoint (only dicts, lists, numbers, strings, None, arrays, Tensors)")


def save_checkpoint(path: PathLike, state: Dict[str, Any]) -> Path:
    """Write ``state`` (see the module docstring) to the ``.npz`` file ``path``, atomically.

    Raises ``CheckpointError`` naming the file if ``state`` holds something that cannot be
    saved or the write fails; the file previously at ``path``, if any, is then untouched.
    """
    path = Path(path)
    arrays: Dict[str, np.ndarray] = {}
    try:
        tree = _split_arrays(state, "", arrays)
        meta = json.dumps({"format": FORMAT, "version": VERSION, "state": tree})
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"cannot save this state: {exc}") from None
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    try:
        with atomic_write(path) as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, array in arrays.items():
                # What np.savez does, written out: one .npy entry per array, no pickles.
                with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, array, allow_pickle=False)
    except OSError as exc:
        raise CheckpointError(path, f"could not be written ({exc}); the previous file, if "
                              "any, is unchanged") from None
    return path


# ----------------------------------------------------------------------------- reading
def _join_arrays(value: Any, arrays: Dict[str, np.ndarray], used: set, path: Path) -> Any:
    """The inverse of ``_split_arrays``: put each array back where its placeholder is."""
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            name = value[_ARRAY]
            if name not in arrays:
                raise CheckpointError(path, f"the array {name!r} named in the metadata is "
                                      "missing from the file")
            used.add(name)
            return arrays[name]
        return {key: _join_arrays(item, arrays, used, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_join_arrays(item, arrays, used, path) for item in value]
    return value


def load_checkpoint(path: PathLike) -> Dict[str, Any]:
    """The state saved at ``path`` by ``save_checkpoint``, with every array a NumPy array.

    Raises ``CheckpointError`` naming the file and what is wrong with it: missing, truncated,
    corrupt, not a minidl checkpoint, or of a newer format version.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a single .npy file
            raise CheckpointError(path, "not a minidl checkpoint (not an .npz archive)")
        with archive:
            arrays = {name: archive[name] for name in archive.files}  # reads and CRC-checks all
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(path, f"the file is truncated or corrupt ({exc})") from None
    if _META not in arrays:
        raise CheckpointError(path, f"not a minidl checkpoint (no {_META!r} entry)")
    try:
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(path, f"its metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(path, "not a minidl checkpoint (wrong format marker)")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise CheckpointError(path, f"format version {meta.get('version')!r} is newer than "
                              f"this minidl reads ({VERSION}); upgrade minidl")
    used: set = set()
    state = _join_arrays(meta.get("state"), arrays, used, path)
    unexpected = sorted(set(arrays) - used)
    if unexpected:
        raise CheckpointError(path, f"arrays not named in the metadata: {unexpected}")
    return state


def restore(path: PathLike, state: Dict[str, Any], **components: Optional[Any]) -> None:
    """Load ``state[name]`` into each component, e.g. ``restore(path, state, model=model,
    optimizer=optimizer)``, turning any mismatch (missing or unexpected keys, shapes, groups)
    into a ``CheckpointError`` that names the file and the component. ``None`` is skipped."""
    for name, component in components.items():
        if component is None:
            continue
        if name not in state or state[name] is None:
            raise CheckpointError(path, f"it holds no {name} state")
        try:
            component.load_state_dict(state[name])
        except (MinidlError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(path, f"it does not fit this {name} "
                                  f"({type(component).__name__}): {exc}") from None
