"""Reading IDX files, the format of MNIST and Fashion-MNIST, and checking every byte of them.

An IDX file is a tiny header followed by a dense array, all big-endian::

    byte 0-1   zero
    byte 2     element type (0x08 = unsigned byte, 0x09 = signed byte, 0x0B = int16,
               0x0C = int32, 0x0D = float32, 0x0E = float64)
    byte 3     number of dimensions d
    4*d bytes  the size of each dimension, as a big-endian uint32
    the rest   the elements, row-major

The first four bytes read as one big-endian integer form the "magic number": 2051 (0x00000803,
unsigned bytes in 3 dimensions) for MNIST images and 2049 (0x00000801, unsigned bytes in 1
dimension) for labels. The files are distributed gzip-compressed (``*-ubyte.gz``);
``read_idx_content`` also reads a copy decompressed by hand (``*-ubyte``).

Nothing here trusts the file: every check (gzip stream, header, magic number, dimensions, exact
payload length, label range, image/label counts) raises a ``DatasetError`` that names the file and
the check that failed, so a truncated download or a wrong file is reported as such and never turns
into an obscure NumPy error later.

Read next: ``download.py`` (getting and verifying the files), then ``mnist.py`` (the datasets).
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from minidl.errors import DTypeError, MinidlError

PathLike = Union[str, "os.PathLike[str]"]

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX element type code -> big-endian NumPy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DatasetError(MinidlError, ValueError):
    """A dataset file that is corrupt, truncated, or not the file it should be.

    ``path`` is the file and ``check`` the name of the check that failed (``"gzip"``,
    ``"header"``, ``"magic number"``, ``"dimensions"``, ``"payload length"``, ``"label range"``,
    ``"count"``, ``"sha256"``), so that callers and tests can tell the failures apart.
    """

    def __init__(self, path: PathLike, check: str, detail: str):
        self.path = os.fspath(path)
        self.check = check
        super().__init__(f"{self.path}: {check} check failed: {detail}")


def gunzip_file(path: PathLike) -> bytes:
    """The decompressed content of the gzip file at ``path``.

    A truncated stream, a bad CRC or a file that is not gzip at all becomes a ``DatasetError``
    (check ``"gzip"``); Python would otherwise raise EOFError, zlib.error or BadGzipFile.
    """
    # Opened outside the try: a missing or unreadable file keeps its own OSError.
    with open(path, "rb") as raw:
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return stream.read()
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(path, "gzip", f"not a complete gzip file ({exc})") from None


def read_idx_content(path: PathLike) -> bytes:
    """The IDX bytes in the file at ``path``: decompressed when its name ends in ``.gz`` (as the
    files are published), as they are otherwise (a copy decompressed by hand)."""
    if os.fspath(path).endswith(".gz"):
        return gunzip_file(path)
    with open(path, "rb") as stream:
        return stream.read()


def parse_idx(content: bytes, path: PathLike) -> np.ndarray:
    """The array stored in the (decompressed) IDX bytes ``content``; ``path`` names it in errors.

    Multi-byte elements are converted from big-endian to the machine's byte order. The result is
    a fresh, writable array.
    """
    if len(content) == 0:
        raise DatasetError(path, "header", "the file (or its decompressed content) is empty")
    if len(content) < 4:
        raise DatasetError(path, "header", f"{len(content)} bytes, fewer than the 4-byte header")
    if content[0] != 0 or content[1] != 0:
        raise DatasetError(
            path, "magic number", f"the first two bytes must be zero, found {content[:2].hex()}"
        )
    type_code = content[2]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_DTYPES)
        raise DatasetError(
            path, "magic number", f"unknown element type 0x{type_code:02X} (expected {known})"
        )
    ndim = content[3]
    if ndim == 0:
        raise DatasetError(path, "dimensions", "the header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DatasetError(
            path,
            "header",
            f"{ndim} dimensions need a {header_size}-byte header, but the file has "
            f"{len(content)} bytes",
        )
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    # Python ints: the product cannot overflow, however large the (corrupt) dimensions are.
    expected = dtype.itemsize * math.prod(shape)
    actual = len(content) - header_size
    if actual != expected:
        raise DatasetError(
            path,
            "payload length",
            f"shape {shape} of {dtype.itemsize}-byte elements needs {expected} bytes after the "
            f"header, found {actual} (the file is truncated or has trailing data)",
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    # astype copies: the result owns writable memory in the machine's byte order.
    return array.astype(dtype.newbyteorder("="))


def encode_idx(array: np.ndarray) -> bytes:
    """``array`` as the bytes of an IDX file: the inverse of ``parse_idx`` (tests use it)."""
    dtype = np.dtype(array.dtype).newbyteorder(">")
    codes = {idx_dtype: code for code, idx_dtype in _IDX_DTYPES.items()}
    if dtype not in codes or array.ndim == 0:
        raise DTypeError(f"encode_idx: IDX cannot store a {array.ndim}-d array of {array.dtype}")
    code = codes[dtype]
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, code, array.ndim]) + dims + np.ascontiguousarray(array, dtype).tobytes()


def _check_magic(content: bytes, path: PathLike, expected: int, what: str) -> None:
    found = int.from_bytes(content[:4], "big") if len(content) >= 4 else None
    if len(content) >= 4 and found != expected:
        raise DatasetError(
            path,
            "magic number",
            f"expected {expected} (0x{expected:08X}) for an IDX {what} file, found {found} "
            f"(0x{found:08X})",
        )


def read_idx_images(
    path: PathLike, image_shape: Optional[Tuple[int, int]] = (28, 28)
) -> np.ndarray:
    """The uint8 images (N x rows x cols) in the gzip-compressed IDX file at ``path``.

    ``image_shape`` is the (rows, cols) every image must have; ``None`` accepts any.
    """
    content = gunzip_file(path)
    return parse_idx_images(content, path, image_shape)


def parse_idx_images(
    content: bytes, path: PathLike, image_shape: Optional[Tuple[int, int]] = (28, 28)
) -> np.ndarray:
    """Like ``read_idx_images`` on already decompressed bytes."""
    _check_magic(content, path, IMAGES_MAGIC, "image")
    images = parse_idx(content, path)
    if image_shape is not None and images.shape[1:] != tuple(image_shape):
        raise DatasetError(
            path,
            "dimensions",
            f"images of {images.shape[1]}x{images.shape[2]} pixels, expected "
            f"{image_shape[0]}x{image_shape[1]}",
        )
    return images


def read_idx_labels(path: PathLike, num_classes: int = 10) -> np.ndarray:
    """The int64 labels (N,) in the gzip-compressed IDX file at ``path``, in 0..num_classes-1."""
    content = gunzip_file(path)
    return parse_idx_labels(content, path, num_classes)


def parse_idx_labels(content: bytes, path: PathLike, num_classes: int = 10) -> np.ndarray:
    """Like ``read_idx_labels`` on already decompressed bytes."""
    _check_magic(content, path, LABELS_MAGIC, "label")
    labels = parse_idx(content, path)
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        raise DatasetError(
            path,
            "label range",
            f"label {int(labels[bad[0]])} at index {int(bad[0])} is outside 0..{num_classes - 1} "
            f"({bad.size} bad labels in all)",
        )
    return labels.astype(np.int64)


def check_same_count(
    images: np.ndarray, labels: np.ndarray, paths: Sequence[PathLike]
) -> None:
    """Raise a ``DatasetError`` (check ``"count"``) unless there is one label per image."""
    if len(images) != len(labels):
        raise DatasetError(
            paths[0],
            "count",
            f"{len(images)} images but {len(labels)} labels in {os.fspath(paths[1])}",
        )
