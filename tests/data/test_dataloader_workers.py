"""DataLoader with worker processes: the same batches in the same order as without workers,
per-worker seeds and get_worker_info, errors with the worker's traceback, no leftover processes,
timeouts, and exact resume. Datasets are tiny so that every test takes a second or two.
"""
import json
import multiprocessing
import os
import time

import numpy as np
import pytest

import minidl
from minidl.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    TensorDataset,
    WorkerError,
    get_worker_info,
)
from minidl.errors import ConfigError
from minidl.random_streams import Generator


class Numbers(Dataset):
    """Item i is (i as a float32 array, i); ``slow`` makes even items take longer."""

    def __init__(self, n, slow=0.0, fail_at=None):
        self.n, self.slow, self.fail_at = n, slow, fail_at

    def __getitem__(self, index):
        if index == self.fail_at:
            raise ValueError(f"sample {index} is broken")
        if self.slow and index % 2 == 0:
            time.sleep(self.slow)
        return np.array([index], dtype=np.float32), index

    def __len__(self):
        return self.n


class WhoAmI(Dataset):
    """Item i says which worker made it, with which seed, and a draw from minidl's generator."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        info = get_worker_info()
        draw = float(minidl.rand(()).item())
        return info.id, info.seed, draw, minidl.get_num_threads(), index


class Shards(IterableDataset):
    """0..n-1, each worker taking items id, id + num_workers, ... (PyTorch's documented way)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def labels(loader):
    return [batch[1].numpy().tolist() for batch in loader]


@pytest.fixture(autouse=True)
def no_leftover_processes():
    yield
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("shuffle", [False, True])
def test_same_batches_with_and_without_workers(shuffle):
    def run(num_workers):
        loader = DataLoader(Numbers(23), batch_size=4, shuffle=shuffle, num_workers=num_workers,
                            generator=Generator(seed=5) if shuffle else None)
        return [labels(loader), labels(loader)]  # two epochs

    assert run(2) == run(0)
    tensors = TensorDataset(np.arange(17, dtype=np.int64))  # the fast path, in the workers
    ours = [b.numpy().tolist() for (b,) in DataLoader(tensors, 5, num_workers=2)]
    assert ours == [list(range(i, min(i + 5, 17))) for i in range(0, 17, 5)]


def test_batches_come_in_order_when_workers_finish_out_of_order():
    # Batch 0 (even items, slow) is ready after batch 1: the loader must hold batch 1 back.
    loader = DataLoader(Numbers(8, slow=0.05), batch_sampler=[[0, 2], [1, 3], [4, 6], [5, 7]],
                        num_workers=2)
    assert labels(loader) == [[0, 2], [1, 3], [4, 6], [5, 7]]


def test_custom_batch_sampler_and_prefetch_factor():
    sampler = BatchSampler(RandomSampler(range(10), generator=Generator(seed=2)), 3, True)
    ours = labels(DataLoader(Numbers(10), batch_sampler=sampler, num_workers=3,
                             prefetch_factor=1))
    sampler = BatchSampler(RandomSampler(range(10), generator=Generator(seed=2)), 3, True)
    assert ours == labels(DataLoader(Numbers(10), batch_sampler=sampler))


def test_workers_are_seeded_per_worker_and_know_who_they_are():

    def run():
        minidl.manual_seed(3)
        loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2,
                            collate_fn=lambda samples: samples)
        return [sample for batch in loader for sample in batch]

    first = run()
    assert run() == first  # manual_seed repeats the workers' random streams
    ids = [s[0] for s in first]
    assert ids == [0, 0, 1, 1, 0, 0, 1, 1]  # batch t goes to worker t mod 2
    seeds = {s[0]: s[1] for s in first}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    draws = {s[0]: s[2] for s in first if s[4] in (0, 2)}  # each worker's first draw
    assert draws[0] != draws[1]
    assert {s[3] for s in first} == {1}  # one BLAS thread per worker
    assert get_worker_info() is None  # in the main process


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        assert get_worker_info().id == worker_id
        os.environ["MINIDL_TEST_WORKER"] = str(worker_id)  # only in that worker's process

    class Env(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return int(os.environ["MINIDL_TEST_WORKER"])

    loader = DataLoader(Env(), batch_size=1, num_workers=2, worker_init_fn=init)
    assert [int(b.item()) for b in loader] == [0, 1, 0, 1]
    assert "MINIDL_TEST_WORKER" not in os.environ


def test_iterable_dataset_sharded_by_worker_as_pytorch_orders_it():
    ours = [b.numpy().tolist() for b in DataLoader(Shards(10), batch_size=3, num_workers=2)]
    assert ours == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    assert [b.numpy().tolist() for b in DataLoader(Shards(10), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    torch = pytest.importorskip("torch")

    class TorchShards(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 10, info.num_workers))

    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchShards(), batch_size=3,
                                                               num_workers=2)]
    assert ours == theirs


def test_an_error_in_a_worker_carries_its_traceback_and_stops_the_workers():
    loader = DataLoader(Numbers(12, fail_at=9), batch_size=2, num_workers=2)
    with pytest.raises(WorkerError) as info:
        labels(loader)
    message = str(info.value)
    assert "worker process 0" in message  # batch 4 = items 8, 9 went to worker 0
    assert "ValueError: sample 9 is broken" in message and "__getitem__" in message
    assert multiprocessing.active_children() == []
    assert isinstance(info.value, RuntimeError)


def test_errors_in_worker_init_fn_and_unpicklable_batches_are_reported():
    def init(worker_id):
        raise KeyError("no such resource")

    with pytest.raises(WorkerError, match="no such resource"):
        labels(DataLoader(Numbers(4), batch_size=2, num_workers=2, worker_init_fn=init))
    loader = DataLoader(Numbers(4), batch_size=2, num_workers=1,
                        collate_fn=lambda samples: (lambda: samples))
    with pytest.raises(WorkerError, match="pickle"):
        list(loader)


def test_a_worker_that_dies_is_noticed():
    class Dies(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            os._exit(3)

    start = time.monotonic()
    with pytest.raises(WorkerError, match="exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(), num_workers=2))
    assert time.monotonic() - start < 10


def test_timeout_is_honoured():
    start = time.monotonic()
    with pytest.raises(WorkerError, match="timed out after 0.3 seconds"):
        list(DataLoader(Numbers(4, slow=5.0), batch_size=1, num_workers=1, timeout=0.3))
    assert time.monotonic() - start < 5  # the stuck worker is terminated, not waited for


def test_workers_stop_at_the_end_on_del_and_after_break():
    loader = DataLoader(Numbers(12), batch_size=2, num_workers=2)
    iterator = iter(loader)
    next(iterator)
    assert len(multiprocessing.active_children()) == 2
    del iterator
    assert multiprocessing.active_children() == []
    for _ in loader:
        break
    assert multiprocessing.active_children() == []
    labels(loader)
    assert multiprocessing.active_children() == []


def test_persistent_workers_live_across_epochs_until_the_loader_goes():
    loader = DataLoader(Numbers(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert labels(loader) == [[0, 1], [2, 3], [4, 5]]
    pids = {p.pid for p in multiprocessing.active_children()}
    assert len(pids) == 2
    iterator = iter(loader)
    next(iterator)
    del iterator  # an abandoned epoch: its late results must not leak into the next
    assert labels(loader) == [[0, 1], [2, 3], [4, 5]]
    assert {p.pid for p in multiprocessing.active_children()} == pids
    del loader


@pytest.mark.parametrize("stop_after", [0, 2, 5])
def test_resume_mid_epoch_with_workers(stop_after):
    def make(seed, num_workers):
        return DataLoader(Numbers(17), batch_size=3, shuffle=True, num_workers=num_workers,
                          generator=Generator(seed=seed))

    reference = make(1, 0)
    expected = labels(reference) + labels(reference)
    loader = make(1, 2)
    iterator = iter(loader)
    seen = [next(iterator)[1].numpy().tolist() for _ in range(stop_after)]
    saved = json.dumps(loader.state_dict())
    del iterator
    fresh = make(99, 2)
    fresh.load_state_dict(json.loads(saved))
    assert seen + labels(fresh) + labels(fresh) == expected


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_a_stream_skips_what_was_handed_out(num_workers):
    loader = DataLoader(Shards(10), batch_size=2, num_workers=num_workers)
    with pytest.raises(TypeError, match="no len"):
        len(loader)  # a stream without __len__, as in PyTorch
    iterator = iter(loader)
    seen = [next(iterator).numpy().tolist() for _ in range(2)]
    state = loader.state_dict()
    del iterator
    fresh = DataLoader(Shards(10), batch_size=2, num_workers=num_workers)
    fresh.load_state_dict(state)
    rest = [b.numpy().tolist() for b in fresh]
    assert seen + rest == [b.numpy().tolist() for b in loader]
    fresh.load_state_dict({"epoch": 0, "batches_done": 50, "generator_state": None})
    assert list(fresh) == []  # past the end: the epoch is simply over


def test_pin_memory_is_accepted_and_changes_nothing():
    loader = DataLoader(Numbers(5), batch_size=2, pin_memory=True, num_workers=1)
    assert loader.pin_memory is True
    assert labels(loader) == [[0, 1], [2, 3], [4]]


def test_spawned_workers_give_the_same_batches():
    # The start method of macOS and Windows: the dataset travels pickled, minidl is imported
    # afresh in the worker.
    dataset = TensorDataset(np.arange(7, dtype=np.int64))
    loader = DataLoader(dataset, batch_size=3, num_workers=1, multiprocessing_context="spawn")
    assert [b.numpy().tolist() for (b,) in loader] == [[0, 1, 2], [3, 4, 5], [6]]


def test_multiprocessing_context_is_checked():
    with pytest.raises(ConfigError, match="num_workers > 0"):
        DataLoader(Numbers(3), multiprocessing_context="fork")
    with pytest.raises(ConfigError, match="'forq'"):
        DataLoader(Numbers(3), num_workers=1, multiprocessing_context="forq")
