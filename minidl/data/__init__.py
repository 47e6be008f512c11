"""minidl.data: feeding a model. Datasets, splits, samplers, and the DataLoader that batches them.

Reading order: ``dataset.py`` (Dataset, TensorDataset, Subset, random_split, KFold), then
``dataset_combinators.py`` (IterableDataset, ConcatDataset, ChainDataset, StackDataset),
``samplers.py`` (Sampler, RandomSampler, BatchSampler, ...), ``collate.py`` (default_collate,
default_convert), ``workers.py`` (worker processes, get_worker_info), ``dataloader.py``
(DataLoader), then ``datasets/`` (the IDX format, verified downloads, MNIST and
Fashion-MNIST). ``distributed.py`` (DistributedSampler) belongs to data-parallel training,
and is read with ``minidl/distributed/``. The same names are importable as ``minidl.utils.data``.
"""
from minidl.data import datasets
from minidl.data.collate import default_collate, default_convert
from minidl.data.dataloader import DataLoader
from minidl.data.dataset import Dataset, KFold, Subset, TensorDataset, random_split
from minidl.data.dataset_combinators import (
    ChainDataset,
    ConcatDataset,
    IterableDataset,
    StackDataset,
)
from minidl.data.distributed import DistributedSampler
from minidl.data.samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minidl.data.workers import WorkerError, WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "KFold",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerError",
    "WorkerInfo",
    "datasets",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
