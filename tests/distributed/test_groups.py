"""Process groups made by new_group, on 3 real MPI ranks: collectives among some ranks only
(src and dst stay world ranks, as in PyTorch), DistributedDataParallel and SyncBatchNorm on a
group without world rank 0, and the errors of misusing groups (``group_worker.py``).
"""
import json

import numpy as np
import pytest

from .launch import HERE, require_mpi, run_mpi_ok
from .sync_bn_cases import model, train


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    require_mpi()
    out = tmp_path_factory.mktemp("groups")
    run_mpi_ok(HERE / "group_worker.py", str(out), n=3, timeout=30)
    return [(dict(np.load(out / f"rank{r}.npz")), json.loads((out / f"rank{r}.json").read_text()))
            for r in range(3)]


def test_collectives_on_a_group_involve_its_ranks_only(job):
    (_, first), (_, outsider), (_, last) = job
    assert first["rank_size"] == [0, 2] and last["rank_size"] == [1, 2]
    assert outsider["rank_size"] == [-1, -1]  # PyTorch's answer outside the group
    for info, rank in ((first, 0), (last, 2)):
        assert info["all_reduce"] == [4.0]  # 1 + 3: rank 1's 2 is not in it
        assert info["broadcast"] == [2.0]
        assert info["reduce"] == ([4.0] if rank == 2 else [1.0])
        assert info["all_gather"] == [0.0, 2.0]
        assert info["async"] == 2.0
        assert info["objects"] == [["r0", "r2"], ["from 2"]]


def test_misusing_a_group_is_a_clear_error(job):
    (_, first), (_, outsider), (_, last) = job
    assert outsider["outsider"] == [
        "DistributedError", "all_reduce: this process (world rank 1) is not in the group of "
        "world ranks [0, 2]; only its members may call collectives on it"]
    for info in (first, last):
        assert info["src_outside"] == [
            "OutOfRangeError", "broadcast: src=1 is not a rank of this job (the group's world "
            "ranks are [0, 2])"]
    for _, info in job:
        assert info["bad_ranks"][0] == "OutOfRangeError"
        assert "ranks [0, 3] must be distinct ranks of this job (0 to 2)" in info["bad_ranks"][1]
        assert info["destroyed"][0] == "DistributedError"
        assert "is not a process group of this job" in info["destroyed"][1]


def test_ddp_and_sync_batch_norm_on_a_group_train_as_one_process(job):
    net = model(seed=1)  # DDP broadcasts from the group's first world rank, 1
    expected = train(net, net, [8], 0)
    assert not job[0][0]  # world rank 0 took no part
    for step, state in enumerate(expected):
        for name, value in state.items():
            for saved, _ in job[1:]:
                np.testing.assert_allclose(saved[f"{step}/{name}"], value, rtol=1e-10,
                                           atol=1e-12, err_msg=f"{step}/{name}")
