"""Verified downloads and offline use, against a local HTTP server (never the network).

Each test builds an MNIST subclass whose ``mirrors`` point at the local server and whose
``resources`` hold the digests of the tiny files that ``tiny_mnist`` made.
"""
import gzip
import hashlib
import socket
import warnings

import numpy as np
import pytest

from minidl.data.datasets import (
    MNIST,
    Checksums,
    DatasetError,
    DatasetNotFoundError,
    DownloadError,
    FashionMNIST,
    default_root,
    download_file,
)
from minidl.errors import MinidlError

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"


def tiny_class(mirrors, checksums):
    """An MNIST that downloads from ``mirrors`` and checks against ``checksums``."""
    return type("TinyMNIST", (MNIST,), {"mirrors": tuple(mirrors), "resources": checksums})


def serve(server, prefix, files, status=200):
    for name, body in files.items():
        server.routes[f"/{prefix}/{name}"] = (status, body, None)


def leftovers(directory):
    """Temporary files a download left behind (there must be none)."""
    return sorted(p.name for p in directory.rglob("*.part"))


def closed_port_url():
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_then_load(tmp_path, http_server, tiny_mnist):
    serve(http_server, "good", tiny_mnist.files)
    Tiny = tiny_class([http_server.url("good")], tiny_mnist.checksums)
    dataset = Tiny(root=tmp_path, train=True, download=True)
    images, labels = tiny_mnist.arrays["train"]
    np.testing.assert_array_equal(dataset.data, images)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert dataset.targets.dtype == np.int64 and len(dataset) == 20
    assert (tmp_path / "mnist" / TRAIN_IMAGES).read_bytes() == tiny_mnist.files[TRAIN_IMAGES]
    # Only the requested split is fetched.
    assert sorted(http_server.requests) == [f"/good/{TRAIN_IMAGES}", f"/good/{TRAIN_LABELS}"]
    assert leftovers(tmp_path) == []
    # Second time: files are on disk and verified, nothing is downloaded.
    http_server.requests.clear()
    Tiny(root=tmp_path, train=True, download=True)
    assert http_server.requests == []


def test_items_are_scaled_images_and_int_labels(tmp_path, http_server, tiny_mnist):
    serve(http_server, "good", tiny_mnist.files)
    Tiny = tiny_class([http_server.url("good")], tiny_mnist.checksums)
    dataset = Tiny(
        root=tmp_path, train=False, download=True,
        transform=lambda x: x * 2, target_transform=lambda y: y + 100,
    )
    images, labels = tiny_mnist.arrays["test"]
    image, label = dataset[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    np.testing.assert_allclose(image[0], images[3] / 255 * 2, rtol=1e-6)
    assert label == labels[3] + 100
    assert len(dataset) == 10 and "TinyMNIST" in repr(dataset)
    with pytest.raises(IndexError, match="index 10 is out of range for 10 items"):
        dataset[10]


def test_as_tensor_dataset_matches_items(tmp_path, tiny_mnist):
    _place(tmp_path / "mnist", tiny_mnist.files)
    dataset = tiny_class([], tiny_mnist.checksums)(root=tmp_path, train=False)
    tensors = dataset.as_tensor_dataset()
    images, labels = tensors.tensors
    assert images.shape == (10, 1, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64
    image, label = dataset[4]
    np.testing.assert_array_equal(images.numpy()[4], image)
    assert labels.numpy()[4] == label
    with_transform = tiny_class([], tiny_mnist.checksums)(
        root=tmp_path, train=False, transform=lambda x: x
    )
    with pytest.raises(ValueError, match="transform"):
        with_transform.as_tensor_dataset()


def test_failing_mirrors_are_skipped(tmp_path, http_server, tiny_mnist):
    serve(http_server, "forbidden", tiny_mnist.files, status=403)
    serve(http_server, "good", tiny_mnist.files)
    mirrors = [http_server.url("missing"), http_server.url("forbidden"), http_server.url("good")]
    dataset = tiny_class(mirrors, tiny_mnist.checksums)(root=tmp_path, download=True)
    assert len(dataset) == 20
    assert f"/missing/{TRAIN_IMAGES}" in http_server.requests
    assert f"/forbidden/{TRAIN_IMAGES}" in http_server.requests
    assert leftovers(tmp_path) == []


def test_truncated_body_moves_to_next_mirror(tmp_path, http_server, tiny_mnist):
    body = tiny_mnist.files[TRAIN_IMAGES]
    # The server promises the whole file but sends half of it, then closes the connection.
    http_server.routes[f"/cut/{TRAIN_IMAGES}"] = (200, body[: len(body) // 2], len(body))
    serve(http_server, "good", {TRAIN_IMAGES: body})
    path = download_file(
        TRAIN_IMAGES, tmp_path, [http_server.url("cut"), http_server.url("good")],
        tiny_mnist.checksums[TRAIN_IMAGES].gz, progress=False,
    )
    assert path.read_bytes() == body
    assert leftovers(tmp_path) == []


def test_truncated_body_alone_is_reported(tmp_path, http_server, tiny_mnist):
    body = tiny_mnist.files[TRAIN_IMAGES]
    http_server.routes[f"/cut/{TRAIN_IMAGES}"] = (200, body[:100], len(body))
    with pytest.raises(DownloadError, match=f"truncated body: received 100 of {len(body)}"):
        download_file(TRAIN_IMAGES, tmp_path, [http_server.url("cut")],
                      tiny_mnist.checksums[TRAIN_IMAGES].gz, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_wrong_hash_is_rejected_and_nothing_written(tmp_path, http_server, tiny_mnist):
    serve(http_server, "good", tiny_mnist.files)
    expected = "ab" * 32
    actual = tiny_mnist.checksums[TRAIN_IMAGES].gz
    with pytest.raises(DownloadError) as info:
        download_file(TRAIN_IMAGES, tmp_path, [http_server.url("good")], expected, progress=False)
    message = str(info.value)
    assert f"expected {expected}, got {actual}" in message
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_existing_file(tmp_path, http_server, tiny_mnist):
    target = tmp_path / TRAIN_IMAGES
    target.write_bytes(b"the user's file")
    serve(http_server, "bad", {TRAIN_IMAGES: b"something else"})
    with pytest.raises(DownloadError):
        download_file(TRAIN_IMAGES, tmp_path, [http_server.url("bad")], "0" * 64, progress=False)
    assert target.read_bytes() == b"the user's file"
    assert leftovers(tmp_path) == []


def test_all_mirrors_failing_explains_what_to_do(tmp_path, http_server, tiny_mnist):
    serve(http_server, "bad", {name: b"junk" for name in tiny_mnist.files})
    mirrors = [closed_port_url(), http_server.url("missing"), http_server.url("bad")]
    Tiny = tiny_class(mirrors, tiny_mnist.checksums)
    with pytest.raises(DownloadError) as info:
        Tiny(root=tmp_path, download=True)
    message = str(info.value)
    assert isinstance(info.value, MinidlError) and isinstance(info.value, OSError)
    assert TRAIN_IMAGES in message and tiny_mnist.checksums[TRAIN_IMAGES].gz in message
    for mirror in mirrors:
        assert mirror + TRAIN_IMAGES in message
    assert "404" in message and "SHA-256 mismatch" in message and "refused" in message.lower()
    # How to fix it by hand: every file name and the directory.
    assert str(tmp_path / "mnist") in message
    for name in tiny_mnist.files:
        assert name in message
    assert leftovers(tmp_path) == []


def test_corrupt_file_on_disk_is_replaced_by_download(tmp_path, http_server, tiny_mnist):
    serve(http_server, "good", tiny_mnist.files)
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / TRAIN_IMAGES).write_bytes(tiny_mnist.files[TRAIN_IMAGES][:-10])
    (folder / TRAIN_LABELS).write_bytes(tiny_mnist.files[TRAIN_LABELS])
    Tiny = tiny_class([http_server.url("good")], tiny_mnist.checksums)
    assert len(Tiny(root=tmp_path, download=True)) == 20
    assert (folder / TRAIN_IMAGES).read_bytes() == tiny_mnist.files[TRAIN_IMAGES]
    assert http_server.requests == [f"/good/{TRAIN_IMAGES}"]


def test_corrupt_file_without_download_is_an_error(tmp_path, tiny_mnist):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, content in tiny_mnist.files.items():
        (folder / name).write_bytes(content)
    (folder / TRAIN_LABELS).write_bytes(tiny_mnist.files[TRAIN_LABELS][:-10])
    with pytest.raises(DatasetError) as info:
        tiny_class([], tiny_mnist.checksums)(root=tmp_path)
    assert info.value.check == "gzip" and TRAIN_LABELS in str(info.value)


def test_missing_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path / "env-root"))
    assert default_root() == tmp_path / "env-root"
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(train=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "download=True" in message and str(tmp_path / "env-root" / "mnist") in message
    for name in MNIST.train_files + MNIST.test_files:
        assert name in message


def test_default_root_without_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIDL_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_root() == tmp_path / ".cache" / "minidl"


def _recompressed(tiny_mnist):
    """The files as a distribution might ship them: same content, different gzip bytes."""
    return {name: gzip.compress(raw, compresslevel=1, mtime=12345)
            for name, raw in tiny_mnist.raw.items()}


def _place(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)


def _with_raw_digests(tiny_mnist, corrupt=None):
    """The checksum table with content digests (the one for ``corrupt`` deliberately wrong)."""
    table = {}
    for name, raw in tiny_mnist.raw.items():
        digest = "0" * 64 if name == corrupt else hashlib.sha256(raw).hexdigest()
        table[name] = Checksums(tiny_mnist.checksums[name].gz, digest)
    return table


def test_recompressed_file_verified_by_content_digest(tmp_path, tiny_mnist):
    _place(tmp_path / "mnist", _recompressed(tiny_mnist))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # verified: no "cannot be verified" warning
        dataset = tiny_class([], _with_raw_digests(tiny_mnist))(root=tmp_path)
    np.testing.assert_array_equal(dataset.data, tiny_mnist.arrays["train"][0])


def test_recompressed_file_with_wrong_content_is_an_error(tmp_path, tiny_mnist):
    _place(tmp_path / "mnist", _recompressed(tiny_mnist))
    checksums = _with_raw_digests(tiny_mnist, corrupt=TRAIN_LABELS)
    with pytest.raises(DatasetError) as info:
        tiny_class([], checksums)(root=tmp_path)
    assert info.value.check == "sha256" and TRAIN_LABELS in str(info.value)
    assert "0" * 64 in str(info.value)


def test_unverifiable_file_warns_and_is_checked_structurally(tmp_path, tiny_mnist):
    _place(tmp_path / "mnist", _recompressed(tiny_mnist))  # gz digests differ, no raw digest
    with pytest.warns(UserWarning, match="cannot be verified"):
        dataset = tiny_class([], tiny_mnist.checksums)(root=tmp_path, train=False)
    assert len(dataset) == 10


def test_system_directory_is_searched(tmp_path, tiny_mnist):
    system = tmp_path / "usr-share"
    _place(system, tiny_mnist.files)
    Tiny = type("Tiny", (FashionMNIST,), {
        "mirrors": (), "resources": tiny_mnist.checksums, "system_dirs": (str(system),),
    })
    assert len(Tiny(root=tmp_path / "empty", train=False)) == 10
