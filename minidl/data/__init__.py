"""minidl.data: feeding a model. Datasets, splits, and the DataLoader that batches them.

Reading order: ``dataset.py`` (Dataset, TensorDataset, Subset, random_split, KFold), then
``dataloader.py`` (DataLoader, default_collate), then ``datasets/`` (the IDX format, verified
downloads, MNIST and Fashion-MNIST). ``distributed.py`` (DistributedSampler) belongs to
data-parallel training, and is read with ``minidl/distributed/``.
"""
from minidl.data import datasets
from minidl.data.dataloader import DataLoader, default_collate
from minidl.data.dataset import Dataset, KFold, Subset, TensorDataset, random_split
from minidl.data.distributed import DistributedSampler

__all__ = [
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "KFold",
    "Subset",
    "TensorDataset",
    "datasets",
    "default_collate",
    "random_split",
]
