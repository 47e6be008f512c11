"""Getting dataset files onto disk safely: where they live, checking their SHA-256, downloading.

Three rules keep a dataset directory trustworthy:

1. A file is never trusted because it exists: ``load_verified`` hashes it every time it is
   loaded (a SHA-256 pass is far cheaper than decompressing, which loading does anyway).
2. A download is written with ``atomic_write`` (``minidl/atomic_file.py``): to a temporary file
   in the target directory, renamed over the final name only after its SHA-256 matched and its
   bytes were flushed to disk. An interrupted or wrong download therefore never leaves a partial
   file under the real name, and never replaces a good file.
3. Every failure says what to do: which URLs were tried and how each failed, the expected and
   actual hashes, and which files to place by hand in which directory.

Read next: ``mnist.py``, which uses these for MNIST and Fashion-MNIST.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
import urllib.request
import warnings
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, List, NamedTuple, Optional, Sequence, Tuple

from minidl.atomic_file import atomic_write
from minidl.data.datasets.idx import DatasetError, PathLike, gunzip_file
from minidl.errors import MinidlError

_CHUNK = 1 << 16  # bytes per read while downloading and hashing


class Checksums(NamedTuple):
    """The known SHA-256 digests (hex) of one ``.gz`` file.

    ``gz`` is the digest of the compressed file as published. ``raw`` is the digest of its
    decompressed content, or ``None`` when unknown; it lets a file recompressed by a
    distribution (same content, different gzip bytes) be verified too.
    """

    gz: str
    raw: Optional[str] = None


class DownloadError(MinidlError, OSError):
    """No mirror delivered a file with the expected SHA-256."""


class DatasetNotFoundError(MinidlError, FileNotFoundError):
    """The dataset's files are not on disk and downloading was not asked for."""


def default_root() -> Path:
    """Where datasets live by default: ``$MINIDL_DATA`` if set, else ``~/.cache/minidl``."""
    env = os.environ.get("MINIDL_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "minidl"


def sha256_file(path: PathLike) -> str:
    """Hex SHA-256 of the file at ``path``, read in chunks so memory stays small."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_verified(path: PathLike, checksums: Checksums) -> bytes:
    """The decompressed content of the ``.gz`` file at ``path``, after checking its hash.

    Accepted when the file's SHA-256 is ``checksums.gz``, or when its decompressed content's
    SHA-256 is ``checksums.raw`` (a recompressed copy). When the file differs from the published
    one and no raw digest is known, it cannot be verified: a warning says so and the caller's
    structural validation (``idx.py``) is all that guards it. Raises ``DatasetError`` (check
    ``"sha256"`` or ``"gzip"``) for a file that is known to be wrong.
    """
    file_hash = sha256_file(path)
    content = gunzip_file(path)
    if file_hash == checksums.gz:
        return content
    if checksums.raw is None:
        warnings.warn(
            f"{os.fspath(path)}: SHA-256 {file_hash} differs from the published "
            f"{checksums.gz} and no digest of the decompressed content is known, so the file "
            "cannot be verified; relying on structural checks of its content",
            stacklevel=3,
        )
        return content
    raw_hash = hashlib.sha256(content).hexdigest()
    if raw_hash == checksums.raw:
        return content
    raise DatasetError(
        path,
        "sha256",
        f"the file's SHA-256 is {file_hash} (expected {checksums.gz} for the published .gz) "
        f"and its decompressed content's is {raw_hash} (expected {checksums.raw}); the file "
        "is corrupt or not the expected one: delete it and download it again",
    )


class _Progress:
    """Download progress: a tqdm bar when tqdm is installed, else one updating stderr line."""

    def __init__(self, total: Optional[int], name: str, enabled: bool):
        self.total, self.name, self.done, self.bar = total, name, 0, None
        self.enabled = enabled
        self.last_print = 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm  # optional dependency (the "train" extra)
        except ImportError:
            return
        self.bar = tqdm(total=total, desc=name, unit="B", unit_scale=True, leave=False)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and time.monotonic() - self.last_print > 0.5:
            # Throttled: printing every 64 KiB chunk would slow the download itself.
            self.last_print = time.monotonic()
            total = f"/{self.total / 1e6:.1f}" if self.total else ""
            sys.stderr.write(f"\rdownloading {self.name}: {self.done / 1e6:.1f}{total} MB")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.last_print:
            sys.stderr.write("\n")


class _ChecksumMismatch(Exception):
    """Raised inside ``atomic_write`` so that a body with the wrong SHA-256 is never kept."""


def _fetch(url: str, destination: BinaryIO, timeout: float, progress: bool) -> str:
    """Write the body at ``url`` to the binary stream ``destination``; its SHA-256.

    Raises OSError / HTTPException for network failures, and OSError for a body shorter than
    its Content-Length (http.client itself returns a short body without complaint).
    """
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length_header = response.headers.get("Content-Length")
        expected = int(length_header) if length_header and length_header.isdigit() else None
        bar = _Progress(expected, url.rsplit("/", 1)[-1], progress)
        received = 0
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                destination.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
    if expected is not None and received != expected:
        raise OSError(f"truncated body: received {received} of {expected} bytes")
    return digest.hexdigest()


def download_file(
    filename: str,
    directory: PathLike,
    mirrors: Sequence[str],
    sha256: str,
    timeout: float = 30.0,
    progress: bool = True,
    hint: str = "",
) -> Path:
    """Download ``filename`` from the first mirror that serves it with SHA-256 ``sha256``.

    Each mirror is a base URL (``https://host/path/``); the file's URL is the base plus
    ``filename``. The file appears as ``directory/filename`` only when verified (see rule 2).
    A HTTP error, a network error, a truncated body or a hash mismatch moves on to the next
    mirror; when all fail, ``DownloadError`` lists each URL with its error and appends ``hint``
    (how to place the file by hand). Returns the final path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / filename
    failures: List[Tuple[str, str]] = []
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += filename
        try:
            with atomic_write(target) as stream:
                actual = _fetch(url, stream, timeout, progress)
                if actual != sha256:
                    raise _ChecksumMismatch(f"SHA-256 mismatch: expected {sha256}, got {actual}")
            return target
        except _ChecksumMismatch as exc:
            failures.append((url, str(exc)))
        except (OSError, HTTPException, ValueError) as exc:
            # URLError, HTTPError, timeouts and refused connections are all OSErrors;
            # ValueError is a malformed mirror URL.
            failures.append((url, f"{type(exc).__name__}: {exc}"))
    tried = "\n".join(f"  - {url}: {error}" for url, error in failures) or "  (no mirrors given)"
    raise DownloadError(
        f"could not download {filename!r} (expected SHA-256 {sha256}) into {directory}; "
        f"URLs tried:\n{tried}" + (f"\n{hint}" if hint else "")
    )

