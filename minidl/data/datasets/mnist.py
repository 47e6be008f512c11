"""MNIST and Fashion-MNIST: 28x28 grayscale images in 10 classes, 60,000 to train, 10,000 to test.

Both come as four gzip-compressed IDX files. A dataset object finds them (in ``root/<folder>``,
then directly in ``root``, then in system directories such as the Debian package's
``/usr/share/datasets/fashion-mnist``; each file gzip-compressed or decompressed), downloads
them when asked (``download=True``), verifies their SHA-256 on every load and checks their
structure (``idx.py``), then keeps the whole split in memory:

* ``.data``: the images, a uint8 array of shape (N, 28, 28);
* ``.targets``: the labels, an int64 array of shape (N,).

``dataset[i]`` is ``(image, label)``: the image as a float32 NumPy array of shape (1, 28, 28)
scaled to [0, 1] (what torchvision's ``ToTensor`` gives; we have no PIL images, and NumPy
arrays let a ``transform`` use any NumPy code), the label as a Python int. For fast training
without transforms, ``as_tensor_dataset()`` turns the whole split into a ``TensorDataset``,
which the ``DataLoader`` batches without a Python loop per sample.

Mirrors and digests are class attributes, so a subclass (or a test) can point them elsewhere.

Read next: ``minidl/atomic_file.py``, then saving and the training utilities;
``minidl/data/dataloader.py`` batches these datasets.
"""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minidl.data.dataset import Dataset, TensorDataset, _check_index
from minidl.data.datasets.download import (
    Checksums,
    DatasetNotFoundError,
    default_root,
    download_file,
    load_verified,
)
from minidl.data.datasets.idx import (
    DatasetError,
    PathLike,
    check_same_count,
    parse_idx_images,
    parse_idx_labels,
    read_idx_content,
)


def _find_file(directory: Path, name: str) -> Optional[Path]:
    """``directory/name``, else its decompressed copy (``name`` without ``.gz``), else None."""
    for path in (directory / name, directory / name[: -len(".gz")]):
        if path.is_file():
            return path
    return None


class MNIST(Dataset):
    """The MNIST handwritten digits (LeCun, Cortes and Burges).

    ``root``: the directory holding one subfolder per dataset (default: ``$MINIDL_DATA``, else
    ``~/.cache/minidl``); MNIST's files go in ``root/mnist``, or directly in ``root`` (any
    directory holding the four files). ``train`` picks the 60,000 training images or the 10,000
    test images. ``download=True`` fetches missing or corrupt files from ``mirrors`` (in order)
    into ``root/mnist``. ``transform`` / ``target_transform`` are applied to each image / label
    in ``__getitem__``. ``verify=False`` skips the SHA-256 check, to read other images stored in
    the same format (their structure is still checked).
    """

    mirrors: Sequence[str] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    # SHA-256 of each published .gz file; the digests of MNIST's decompressed files are unknown.
    resources: Dict[str, Checksums] = {
        "train-images-idx3-ubyte.gz": Checksums(
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": Checksums(
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": Checksums(
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": Checksums(
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    }
    folder = "mnist"
    # Directories searched after root/<folder>, e.g. where a distribution installs the files.
    system_dirs: Sequence[str] = ()
    train_files = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    test_files = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    image_shape = (28, 28)
    classes: List[str] = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]

    def __init__(
        self,
        root: Optional[PathLike] = None,
        train: bool = True,
        download: bool = False,
        transform: Optional[Callable[[np.ndarray], Any]] = None,
        target_transform: Optional[Callable[[int], Any]] = None,
        verify: bool = True,
    ):
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.train = train
        self.verify = verify
        self.transform = transform
        self.target_transform = target_transform
        images_name, labels_name = self.split_files
        directory = self._find_directory(download)
        images_path, images_content = self._load(directory, images_name, download)
        labels_path, labels_content = self._load(directory, labels_name, download)
        self.data = parse_idx_images(images_content, images_path, self.image_shape)
        self.targets = parse_idx_labels(labels_content, labels_path, len(self.classes))
        check_same_count(self.data, self.targets, (images_path, labels_path))

    # ------------------------------------------------------------------ finding the files
    @property
    def split_files(self) -> Tuple[str, str]:
        """The (images, labels) file names of the split chosen by ``train``."""
        return self.train_files if self.train else self.test_files

    @property
    def download_dir(self) -> Path:
        """Where this dataset's files are downloaded to, and where to place them by hand."""
        return self.root / self.folder

    def _find_directory(self, download: bool) -> Path:
        """The first candidate directory holding both files of the split."""
        names = self.split_files
        candidates = [self.download_dir, self.root] + [Path(d) for d in self.system_dirs]
        for directory in candidates:
            if all(_find_file(directory, name) is not None for name in names):
                return directory
        if download:
            return self.download_dir
        searched = ", ".join(str(d) for d in candidates)
        raise DatasetNotFoundError(
            f"{type(self).__name__}: the {'training' if self.train else 'test'} files "
            f"{', '.join(names)} were not found (searched {searched}). Pass download=True to "
            f"download them, or place them by hand.\n{self._manual_instructions()}"
        )

    def _load(self, directory: Path, name: str, download: bool) -> Tuple[Path, bytes]:
        """The path and verified, decompressed content of ``name``, downloading if allowed."""
        path = _find_file(directory, name)
        if path is None:  # possible only with download=True (else _find_directory raised)
            path = self._download(name)
        try:
            return path, self._read(path, name)
        except DatasetError:
            if not download:
                raise
        # Corrupt or wrong: fetch a fresh copy, which replaces the bad one only once verified.
        path = self._download(name)
        return path, self._read(path, name)

    def _read(self, path: Path, name: str) -> bytes:
        """The IDX content of ``path`` (the file ``name`` or its decompressed copy), verified
        by SHA-256 unless ``verify`` is False."""
        checksums = self.resources[name]
        if not self.verify:
            return read_idx_content(path)
        if path.name == name:
            return load_verified(path, checksums)
        # Decompressed by hand: only a digest of the content (checksums.raw) can vouch for it.
        content = read_idx_content(path)
        digest = hashlib.sha256(content).hexdigest()
        if checksums.raw is None:
            warnings.warn(f"{path}: no SHA-256 of {name}'s decompressed content is known, so "
                          "this decompressed copy cannot be verified; relying on structural "
                          "checks of its content", stacklevel=4)
        elif digest != checksums.raw:
            raise DatasetError(path, "sha256", f"the SHA-256 of the content is {digest} "
                               f"(expected {checksums.raw}); the file is corrupt or not the "
                               "expected one")
        return content

    def _download(self, name: str) -> Path:
        return download_file(
            name,
            self.download_dir,
            self.mirrors,
            self.resources[name].gz,
            hint=self._manual_instructions(),
        )

    def _manual_instructions(self) -> str:
        names = "\n".join(f"  {name}" for name in self.train_files + self.test_files)
        return (
            f"To use {type(self).__name__} offline, download these files (e.g. from "
            f"{self.mirrors[0] if self.mirrors else 'a mirror'}) and put them, with these names "
            f"(or decompressed, without the .gz), in {self.download_dir} or directly in "
            f"{self.root}:\n{names}\n"
            "(set $MINIDL_DATA or pass root=... to use another directory)"
        )

    # ------------------------------------------------------------------ the Dataset protocol
    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        _check_index(index, len(self), type(self).__name__)
        # (1, 28, 28) float32 in [0, 1]: one channel, as convolution layers expect.
        image: Any = self.data[index][None].astype(np.float32) / 255
        label: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def as_tensor_dataset(self) -> TensorDataset:
        """The whole split as ``TensorDataset(images, labels)``, for fast batching.

        Images are float32 of shape (N, 1, 28, 28) in [0, 1], labels int64 of shape (N,): the
        same values ``__getitem__`` gives. Transforms cannot be applied to a whole array at
        once, so a dataset with transforms refuses (iterate it with a DataLoader instead).
        """
        if self.transform is not None or self.target_transform is not None:
            raise ValueError(
                f"{type(self).__name__}.as_tensor_dataset: transform/target_transform are set "
                "and would be ignored; use DataLoader(dataset) to apply them per sample"
            )
        images = self.data[:, None].astype(np.float32)
        images /= 255  # in place: no second 188 MB array for the training split
        return TensorDataset(images, self.targets)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, items={len(self)}, root={str(self.root)!r})"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Xiao, Rasul and Vollgraf): Zalando's clothing images in MNIST's format.

    Also found, without download, where the Debian package ``dataset-fashion-mnist`` installs
    it; those files are recompressed, and are verified by the digests of their content.
    """

    mirrors: Sequence[str] = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    resources: Dict[str, Checksums] = {
        "train-images-idx3-ubyte.gz": Checksums(
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        "train-labels-idx1-ubyte.gz": Checksums(
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        "t10k-images-idx3-ubyte.gz": Checksums(
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        "t10k-labels-idx1-ubyte.gz": Checksums(
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    }
    folder = "fashion-mnist"
    system_dirs: Sequence[str] = ("/usr/share/datasets/fashion-mnist",)
    classes: List[str] = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
