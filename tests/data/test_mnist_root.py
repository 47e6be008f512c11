"""MNIST(root=DIR) on a directory of IDX files: found directly in DIR as well as in DIR/mnist,
gzip-compressed or decompressed, verified by SHA-256 unless ``verify=False``.

``examples/train_mnist.py --data-dir`` reads its files this way (tests/train test it end to end).
"""
import hashlib
import warnings

import numpy as np
import pytest

from minidl.data.datasets import MNIST, Checksums, DatasetError, DatasetNotFoundError


def tiny_class(checksums):
    """An MNIST that checks the tiny files' digests and never downloads."""
    return type("TinyMNIST", (MNIST,), {"mirrors": (), "resources": checksums})


def with_raw_digests(tiny_mnist, wrong=None):
    """The checksum table with digests of the decompressed content (``wrong``'s deliberately
    wrong)."""
    return {name: Checksums(tiny_mnist.checksums[name].gz,
                            "0" * 64 if name == wrong else hashlib.sha256(raw).hexdigest())
            for name, raw in tiny_mnist.raw.items()}


def place(directory, tiny_mnist, decompressed=False):
    """The four files in ``directory``: as published, or decompressed (named without .gz)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in tiny_mnist.files:
        if decompressed:
            (directory / name[:-3]).write_bytes(tiny_mnist.raw[name])
        else:
            (directory / name).write_bytes(tiny_mnist.files[name])


def test_files_directly_in_root(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # verified by the .gz digests: no warning
        train = tiny_class(tiny_mnist.checksums)(root=tmp_path)
        test = tiny_class(tiny_mnist.checksums)(root=tmp_path, train=False)
    np.testing.assert_array_equal(train.data, tiny_mnist.arrays["train"][0])
    np.testing.assert_array_equal(test.targets, tiny_mnist.arrays["test"][1])


def test_root_folder_comes_before_root(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist)
    place(tmp_path / "mnist", tiny_mnist)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip")  # never read
    dataset = tiny_class(tiny_mnist.checksums)(root=tmp_path)
    np.testing.assert_array_equal(dataset.targets, tiny_mnist.arrays["train"][1])


def test_decompressed_files_are_verified_by_their_content_digest(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist, decompressed=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = tiny_class(with_raw_digests(tiny_mnist))(root=tmp_path, train=False)
    np.testing.assert_array_equal(dataset.data, tiny_mnist.arrays["test"][0])
    wrong = "t10k-images-idx3-ubyte.gz"
    with pytest.raises(DatasetError) as info:
        tiny_class(with_raw_digests(tiny_mnist, wrong))(root=tmp_path, train=False)
    assert info.value.check == "sha256" and info.value.path == str(tmp_path / wrong[:-3])


def test_decompressed_files_without_content_digest_warn(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist, decompressed=True)
    with pytest.warns(UserWarning, match="cannot be verified"):
        dataset = tiny_class(tiny_mnist.checksums)(root=tmp_path, train=False)
    assert len(dataset) == 10


def test_verify_false_reads_any_images_in_the_format(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist)
    unknown = {name: Checksums("0" * 64, "0" * 64) for name in tiny_mnist.files}
    with pytest.raises(DatasetError, match="sha256"):
        tiny_class(unknown)(root=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = tiny_class(unknown)(root=tmp_path, verify=False)
    np.testing.assert_array_equal(dataset.data, tiny_mnist.arrays["train"][0])
    place(tmp_path / "plain", tiny_mnist, decompressed=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = tiny_class(unknown)(root=tmp_path / "plain", verify=False)
    np.testing.assert_array_equal(dataset.targets, tiny_mnist.arrays["train"][1])
    # Structure is still checked.
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(tiny_mnist.files[
        "t10k-labels-idx1-ubyte.gz"])  # 10 labels for 20 images
    with pytest.raises(DatasetError) as info:
        tiny_class(unknown)(root=tmp_path, verify=False)
    assert info.value.check == "count"


def test_a_corrupt_file_is_named_with_the_failed_check(tmp_path, tiny_mnist):
    place(tmp_path, tiny_mnist)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:20])
    with pytest.raises(DatasetError) as info:
        tiny_class(tiny_mnist.checksums)(root=tmp_path, verify=False)
    assert info.value.check == "gzip" and info.value.path == str(labels)


def test_missing_files_name_both_places_and_all_four_files(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        tiny_class({})(root=tmp_path, train=False)
    message = str(info.value)
    assert f"searched {tmp_path / 'mnist'}, {tmp_path}" in message
    assert f"in {tmp_path / 'mnist'} or directly in {tmp_path}" in message
    for name in MNIST.train_files + MNIST.test_files:
        assert name in message
