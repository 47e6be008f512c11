"""DistributedDataParallel on real MPI ranks: N ranks at batch B step as one process at N*B.

``ddp_worker.py`` trains every variant of ``ddp_cases.py`` on two ranks, each rank starting
from a different initialization (DDP's broadcast must make them equal); this test trains the
same variants in one process on the global batches and compares, after every step.
"""
import json

import numpy as np
import pytest

from .ddp_cases import STEPS, VARIANTS, reference_run
from .launch import HERE, require_mpi, run_mpi_ok

RANKS = 2


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    require_mpi()
    out = tmp_path_factory.mktemp("ddp")
    run_mpi_ok(HERE / "ddp_worker.py", str(out), n=RANKS)
    return [(dict(np.load(out / f"rank{r}.npz")), json.loads((out / f"rank{r}.json").read_text()))
            for r in range(RANKS)]


@pytest.mark.parametrize("variant", VARIANTS)
def test_ranks_step_as_one_process_at_the_global_batch(job, variant):
    reference = reference_run(variant, RANKS)
    for step in range(STEPS):
        for name, expected in reference[step].items():
            key = f"{variant}/{step}/{name}"
            on_rank0 = job[0][0][key]
            for rank in range(1, RANKS):  # identical on every rank, bit for bit
                np.testing.assert_array_equal(job[rank][0][key], on_rank0, err_msg=key)
            np.testing.assert_allclose(on_rank0, expected, rtol=2e-5, atol=2e-6, err_msg=key)


def test_buckets_grads_and_state_dict(job):
    info = job[0][1]
    assert info["sgd_momentum"]["buckets"] == 1  # 25 MB holds the whole small model
    assert info["adam_buckets"]["buckets"] > 2
    for variant in VARIANTS:
        # .grad is a slice of the bucket's averaged array (no copy)
        assert info[variant]["grad_is_view"]
        assert not any(key.startswith("module.") for key in info[variant]["state_dict_keys"])
    assert info["sgd_momentum"]["state_dict_keys"] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                       "fc2.bias", "out.weight", "out.bias"]
