"""Hostile files for minidl.load: every one is a CheckpointError naming the file, never a raw
MemoryError, RecursionError or KeyError, and never a structure that lies about what it holds.

The files are written by hand here, in the safetensors layout: an 8-byte little-endian header
length, a JSON header (``{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}``),
then the tensors' bytes.
"""
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import minidl
from minidl.serialization import CheckpointError

pytest.importorskip("safetensors")


def safetensors_bytes(tensors=None, metadata=None, header_extra=None) -> bytes:
    """A file from {name: (dtype code, shape, raw bytes)} and a metadata dict."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in (tensors or {}).items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    header.update(header_extra or {})
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def minidl_file(value, tensors=None, version=1) -> bytes:
    """A file whose minidl structure is ``value`` (JSON-ready, tags and all)."""
    meta = {"minidl": json.dumps({"version": version, "value": value})}
    return safetensors_bytes(tensors, meta)


def load_bytes(data: bytes, tmp_path):
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(data)
    return minidl.load(path)


W = {"w": ("F32", [2], np.array([1.0, 2.0], np.float32).tobytes())}
W_AND_I = {**W, "i": ("I64", [1], np.array([3], np.int64).tobytes())}


@pytest.mark.parametrize("data, message", [
    (np.random.default_rng(0).bytes(4096), "not a safetensors file, or truncated or corrupt"),
    (b"", "not a safetensors file, or truncated or corrupt"),
    (b"\x00" * 8, "not a safetensors file, or truncated or corrupt"),
    (safetensors_bytes(W)[:-3], "not a safetensors file, or truncated or corrupt"),
    # A header that claims an 8 TiB tensor in a file of a few bytes: refused before allocating.
    (safetensors_bytes({"w": ("F64", [2**40], b"\x00" * 8)}), "truncated or corrupt"),
    (safetensors_bytes(header_extra={"w": {"dtype": "F64", "shape": [2**40],
                                           "data_offsets": [0, 2**43]}}), "truncated or corrupt"),
    (pickle.dumps({"a": 1}), "a pickle, which minidl never loads"),
    (b"[" * 100_000 + b"]" * 100_000, "truncated or corrupt"),
])
def test_files_that_are_not_safetensors_are_corrupt(data, message, tmp_path):
    with pytest.raises(CheckpointError, match=message) as info:
        load_bytes(data, tmp_path)
    assert "crafted.safetensors" in str(info.value)


def test_zip_archives_get_a_hint_torch_save_and_old_checkpoints(tmp_path):
    np.savez(tmp_path / "old.npz", a=np.zeros(2))
    with pytest.raises(CheckpointError, match=r"zip archive: a torch.save file or an old minidl"):
        minidl.load(tmp_path / "old.npz")
    assert zipfile.is_zipfile(tmp_path / "old.npz")


def test_metadata_nested_100000_deep_is_refused_before_parsing(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    meta = {"minidl": '{"version": 1, "value": ' + deep + "}"}
    with pytest.raises(CheckpointError, match="nests deeper than 100 containers"):
        load_bytes(safetensors_bytes(metadata=meta), tmp_path)
    # Brackets inside strings are text, not nesting.
    assert load_bytes(minidl_file(["[" * 1000]), tmp_path) == ["[" * 1000]


@pytest.mark.parametrize("value, message", [
    ({"__tensor__": "missing"}, "names a tensor 'missing' that the file does not hold"),
    ({"__tensor__": 5}, "names a tensor 5"),
    ({"__tensor__": "w", "shape": [2]}, "an object with keys"),
    ({"__tensor__": "w", "requires_grad": "yes"}, "bad requires_grad or device"),
    ({"__tensor__": "w", "__tuple__": []}, "an object with keys"),
    ({"__tuple__": "abc"}, "unknown tag '__tuple__' or bad content"),
    ({"__dict__": [[1]]}, "not a \\[str or int key, value\\] pair"),
    ({"__dict__": [[[1], 2]]}, "not a \\[str or int key, value\\] pair"),
    ({"__dict__": [[True, 2]]}, "not a \\[str or int key, value\\] pair"),
    ({"__object__": "os.system"}, "unknown tag '__object__'"),
    ({"__dict__": [[1, "a"], [1, "b"]]}, "a __dict__ repeats a key"),
    ({"__tensor__": "i", "requires_grad": True}, "tensor 'i' of dtype int64 requires grad"),
    ([{"__tensor__": "w"}, {"__tensor__": "x"}], "names a tensor 'x'"),
])
def test_a_structure_that_lies_is_refused(value, message, tmp_path):
    with pytest.raises(CheckpointError, match=f"metadata is corrupt: .*{message}"):
        load_bytes(minidl_file(value, W_AND_I), tmp_path)


def test_every_tensor_must_be_named_by_the_structure(tmp_path):
    with pytest.raises(CheckpointError, match=r"tensors that the structure does not name: \['w'\]"):
        load_bytes(minidl_file({"step": 1}, W), tmp_path)
    assert load_bytes(minidl_file({"__tensor__": "w"}, W), tmp_path).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"value": 1}', "no format version"),
    ('{"version": "1", "value": 1}', "no format version"),
    ('{"version": true, "value": 1}', "no format version"),
    ('{"version": 1}', "no value"),
    ("[1]", "no format version"),
    ('{"version": 1, "value": ' + "9" * 5000 + "}", "not valid JSON"),  # a 5000-digit int
    ('{"version": 1, "value": {"a": 1, "a": 2}}', "repeats a key"),
])
def test_bad_metadata_text(text, message, tmp_path):
    with pytest.raises(CheckpointError, match=message):
        load_bytes(safetensors_bytes(metadata={"minidl": text}), tmp_path)


def test_a_newer_format_asks_for_an_upgrade(tmp_path):
    with pytest.raises(CheckpointError, match="format version 99 by a newer minidl.*upgrade"):
        load_bytes(minidl_file({}, version=99), tmp_path)


def test_dtypes_minidl_cannot_hold(tmp_path):
    u16 = {"w": ("U16", [1], b"\x01\x00")}
    with pytest.raises(CheckpointError, match="tensor 'w' has dtype uint16"):
        load_bytes(safetensors_bytes(u16), tmp_path)
    # As a NumPy array (not a tensor) it is fine: checkpoints hold such arrays (RNG keys).
    assert load_bytes(minidl_file({"__ndarray__": "w"}, u16), tmp_path).dtype == np.uint16
    bf16 = {"w": ("BF16", [1], b"\x80\x3f")}
    with pytest.raises(CheckpointError, match="dtype 'BF16'.*convert it"):
        load_bytes(safetensors_bytes(bf16), tmp_path)


def test_user_dicts_cannot_masquerade_and_keys_do_not_collide(tmp_path):
    tricky = {"__tensor__": "model/w", "__ndarray__": "x", "__dict__": [[1, 2]],
              "__metadata__": "y", 1: "one", "1": "string one"}
    buffer = io.BytesIO()
    minidl.save({"user": tricky, "model/w": minidl.ones(1)}, buffer)
    back = minidl.load(io.BytesIO(buffer.getvalue()))
    assert back["user"] == tricky and set(back["user"]) == set(tricky)
    assert back["model/w"].tolist() == [1.0]


def test_a_foreign_file_loads_as_a_dict_of_tensors(tmp_path):
    back = load_bytes(safetensors_bytes(W, metadata={"format": "pt"}), tmp_path)
    assert list(back) == ["w"] and back["w"].tolist() == [1.0, 2.0]
    back["w"].add_(1.0)  # a loaded tensor is writable (not a view of the file's bytes)
