"""Fixtures for the data tests: tiny IDX files made on the spot, and a local HTTP server.

No test here touches the network: downloads go to a ``ThreadingHTTPServer`` on 127.0.0.1 that a
fixture starts on a free port and shuts down afterwards.
"""
import gzip
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest

from minidl.data.datasets.download import Checksums
from minidl.data.datasets.idx import encode_idx


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_split(n: int, seed: int):
    """n random 28x28 uint8 images and n labels in 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


@pytest.fixture
def tiny_mnist():
    """A tiny MNIST in the real format: 20 training and 10 test images.

    ``files`` maps each standard file name to its gzip bytes, ``raw`` to its IDX bytes,
    ``checksums`` to their digests (the table a dataset subclass uses), and ``arrays`` holds
    the images and labels per split.
    """
    train_images, train_labels = make_split(20, seed=1)
    test_images, test_labels = make_split(10, seed=2)
    raw = {
        "train-images-idx3-ubyte.gz": encode_idx(train_images),
        "train-labels-idx1-ubyte.gz": encode_idx(train_labels),
        "t10k-images-idx3-ubyte.gz": encode_idx(test_images),
        "t10k-labels-idx1-ubyte.gz": encode_idx(test_labels),
    }
    # mtime=0: the same bytes every run, hence the same digests.
    files = {name: gzip.compress(content, mtime=0) for name, content in raw.items()}
    checksums = {name: Checksums(sha256(files[name]), None) for name in files}
    arrays = {
        "train": (train_images, train_labels.astype(np.int64)),
        "test": (test_images, test_labels.astype(np.int64)),
    }
    return SimpleNamespace(files=files, raw=raw, checksums=checksums, arrays=arrays)


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (status, body, content_length)``; 404 for anything else."""

    def do_GET(self):
        self.server.requests.append(self.path)
        status, body, length = self.server.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        # A Content-Length larger than the body simulates a connection cut mid-download.
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep test output clean


@pytest.fixture
def http_server():
    """A local HTTP server; ``server.url(prefix)`` is a mirror base URL for ``routes``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.routes = {}
    server.requests = []
    server.url = lambda prefix: f"http://127.0.0.1:{server.server_port}/{prefix}/"
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
