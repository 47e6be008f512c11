"""Ready-made datasets: MNIST and Fashion-MNIST, with the IDX reader and downloader behind them.

Reading order: ``idx.py`` (the file format and its checks), ``download.py`` (finding, verifying
and downloading files), ``mnist.py`` (the datasets themselves).
"""
from minidl.data.datasets.download import (
    Checksums,
    DatasetNotFoundError,
    DownloadError,
    default_root,
    download_file,
)
from minidl.data.datasets.idx import DatasetError, read_idx_images, read_idx_labels
from minidl.data.datasets.mnist import MNIST, FashionMNIST

__all__ = [
    "MNIST",
    "Checksums",
    "DatasetError",
    "DatasetNotFoundError",
    "DownloadError",
    "FashionMNIST",
    "default_root",
    "download_file",
    "read_idx_images",
    "read_idx_labels",
]
