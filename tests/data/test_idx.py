"""The IDX reader: valid files round-trip, and each kind of corruption names its file and check."""
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from minidl.data.datasets.download import Checksums
from minidl.data.datasets.idx import (
    DatasetError,
    encode_idx,
    parse_idx,
    read_idx_images,
    read_idx_labels,
)
from minidl.data.datasets.mnist import MNIST, FashionMNIST
from minidl.errors import MinidlError

_RNG = np.random.default_rng(0)
IMAGES = _RNG.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
LABELS = _RNG.integers(0, 10, size=5, dtype=np.uint8)
IMAGE_BYTES = encode_idx(IMAGES)
LABEL_BYTES = encode_idx(LABELS)


def write_gz(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content, mtime=0))
    return path


def test_images_and_labels_round_trip(tmp_path):
    images = read_idx_images(write_gz(tmp_path / "img.gz", IMAGE_BYTES))
    labels = read_idx_labels(write_gz(tmp_path / "lbl.gz", LABEL_BYTES))
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    assert images.flags.writeable


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_every_element_type_is_read_in_native_byte_order(dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    result = parse_idx(encode_idx(array), "x.idx")
    np.testing.assert_array_equal(result, array)
    assert result.dtype == np.dtype(dtype)


def _with(content: bytes, offset: int, value: int) -> bytes:
    return content[:offset] + bytes([value]) + content[offset + 1:]


def _flip_in_deflate(content: bytes) -> bytes:
    data = bytearray(gzip.compress(content, mtime=0))
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


_IMAGES_GZ = gzip.compress(IMAGE_BYTES, mtime=0)
_WRONG_LABEL = encode_idx(np.array([1, 2, 10, 3], dtype=np.uint8))
_IMAGES_27x29 = encode_idx(np.zeros((2, 27, 29), dtype=np.uint8))

# (name, which reader, file bytes as stored on disk, the check that must fail).
CORRUPTIONS = [
    ("empty file", "images", b"", "header"),
    ("empty gzip", "images", gzip.compress(b""), "header"),
    ("not gzip", "images", IMAGE_BYTES, "gzip"),
    ("gzip cut in half", "images", _IMAGES_GZ[: len(_IMAGES_GZ) // 2], "gzip"),
    ("gzip cut before its CRC", "images", _IMAGES_GZ[:-6], "gzip"),
    ("bit flip in deflate data", "images", _flip_in_deflate(IMAGE_BYTES), "gzip"),
    ("only 3 bytes", "images", gzip.compress(IMAGE_BYTES[:3]), "header"),
    ("cut inside dimensions", "images", gzip.compress(IMAGE_BYTES[:10]), "header"),
    ("cut inside payload", "images", gzip.compress(IMAGE_BYTES[:-1]), "payload length"),
    ("header only", "images", gzip.compress(IMAGE_BYTES[:16]), "payload length"),
    ("trailing bytes", "images", gzip.compress(IMAGE_BYTES + b"\0"), "payload length"),
    ("bit flip in type byte", "images", gzip.compress(_with(IMAGE_BYTES, 2, 0x09)), "magic number"),
    ("bit flip in ndim byte", "images", gzip.compress(_with(IMAGE_BYTES, 3, 0x02)), "magic number"),
    ("nonzero leading byte", "images", gzip.compress(_with(IMAGE_BYTES, 0, 0x80)), "magic number"),
    ("labels read as images", "images", gzip.compress(LABEL_BYTES), "magic number"),
    ("images read as labels", "labels", gzip.compress(IMAGE_BYTES), "magic number"),
    ("bit flip in rows", "images", gzip.compress(_with(IMAGE_BYTES, 11, 29)), "payload length"),
    ("images of 27x29 pixels", "images", gzip.compress(_IMAGES_27x29), "dimensions"),
    ("huge count", "images", gzip.compress(_with(IMAGE_BYTES, 4, 0xFF)), "payload length"),
    ("label 10", "labels", gzip.compress(_WRONG_LABEL), "label range"),
    ("labels cut", "labels", gzip.compress(LABEL_BYTES[:-2]), "payload length"),
]


@pytest.mark.parametrize(
    "reader, stored, check", [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
)
def test_corruption_names_file_and_check(tmp_path, reader, stored, check):
    path = tmp_path / "corrupt-idx-ubyte.gz"
    path.write_bytes(stored)
    read = read_idx_images if reader == "images" else read_idx_labels
    with pytest.raises(DatasetError) as info:
        read(path)
    assert info.value.check == check
    assert info.value.path == os.fspath(path)
    assert str(path) in str(info.value) and check in str(info.value)
    # Users can catch it as a minidl error or as the ValueError it is.
    assert isinstance(info.value, MinidlError) and isinstance(info.value, ValueError)


def test_parse_idx_rejects_zero_dimensions_and_unknown_types():
    with pytest.raises(DatasetError, match="0 dimensions") as info:
        parse_idx(bytes([0, 0, 0x08, 0]), "a.idx")
    assert info.value.check == "dimensions"
    with pytest.raises(DatasetError, match="unknown element type 0x07"):
        parse_idx(bytes([0, 0, 0x07, 1, 0, 0, 0, 0]), "a.idx")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx_images(tmp_path / "absent.gz")


def test_image_and_label_counts_must_match(tmp_path, tiny_mnist):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, content in tiny_mnist.raw.items():
        if name.startswith("t10k-labels"):
            content = encode_idx(np.zeros(9, dtype=np.uint8))  # 10 images, 9 labels
        write_gz(folder / name, content)
    # Digests that match nothing and no raw digest: loading warns, then validates structure.
    unverified = {name: Checksums("0" * 64) for name in tiny_mnist.files}
    Tiny = type("Tiny", (MNIST,), {"resources": unverified, "mirrors": ()})
    with pytest.warns(UserWarning, match="cannot be verified"):
        with pytest.raises(DatasetError, match="10 images but 9 labels") as info:
            Tiny(root=tmp_path, train=False)
    assert info.value.check == "count"


FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(
    not FASHION_DIR.is_dir(),
    reason="Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)",
)
def test_installed_fashion_mnist_test_split(tmp_path):
    dataset = FashionMNIST(root=tmp_path, train=False)  # empty root: found in FASHION_DIR
    assert len(dataset) == 10000
    assert dataset.data.shape == (10000, 28, 28) and dataset.data.dtype == np.uint8
    assert dataset.targets.dtype == np.int64
    assert set(np.unique(dataset.targets)) == set(range(10))
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert label == 9  # the first test image is an ankle boot
