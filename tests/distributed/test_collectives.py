"""Collectives on real MPI ranks against NumPy: every op on every dtype, and the errors.

One job per world size runs ``collectives_worker.py``; each rank saves what its tensors held
afterwards, and the tests below rebuild every rank's input (``cases.py``) to compute what
they should hold. Also here, without MPI: calling a collective before init_process_group.
"""
import json
from datetime import timedelta

import numpy as np
import pytest

import minidl
import minidl.distributed as dist

from .cases import DTYPES, OPS, applies, rank_input, reference
from .launch import HERE, require_mpi, run_mpi_ok

# (ranks, the process group's timeout in seconds): with a timeout, every collective runs
# nonblocking and is waited for with a time limit (process_group.py), so both paths are checked
SIZES = [(2, None), (3, 60)]


@pytest.fixture(scope="module", params=SIZES,
                ids=lambda p: f"{p[0]}ranks" + ("" if p[1] is None else "-timeout"))
def job(request, tmp_path_factory):
    """The saved results of every rank of one run of the worker: (arrays, info) per rank."""
    require_mpi()
    n, timeout = request.param
    out = tmp_path_factory.mktemp(f"collectives{n}")
    run_mpi_ok(HERE / "collectives_worker.py", str(out), *([] if timeout is None
                                                           else [str(timeout)]), n=n)
    return [(dict(np.load(out / f"rank{r}.npz")), json.loads((out / f"rank{r}.json").read_text()))
            for r in range(n)]


def inputs(dtype, n):
    return [rank_input(r, dtype) for r in range(n)]


def assert_reduced(got, expected, n):
    """Exact for integers and bools; for floats, up to the order of the additions (MPI may
    add three ranks' values as (a + b) + c or a + (b + c))."""
    assert got.dtype == expected.dtype
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(got, expected)
    else:
        eps = float(np.finfo(expected.dtype).eps)
        np.testing.assert_allclose(got, expected, rtol=n * eps, atol=4 * n * eps)


@pytest.mark.parametrize("op, dtype", [(op, dtype) for op in OPS for dtype in DTYPES
                                       if applies(op, dtype)])  # AVG on integers: see errors
def test_all_reduce_matches_numpy(job, op, dtype):
    expected = reference(op, inputs(dtype, len(job)))
    for arrays, _ in job:
        assert_reduced(arrays[f"all_reduce/{op}/{dtype}"], expected, len(job))


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_reduce_all_gather_match_numpy(job, dtype):
    n = len(job)
    rank_inputs = inputs(dtype, n)
    for rank, (arrays, _) in enumerate(job):
        np.testing.assert_array_equal(arrays[f"broadcast/{dtype}"], rank_inputs[-1])
        # reduce: only the destination (the last rank) gets the sum; the others keep theirs
        expected = reference("SUM", rank_inputs) if rank == n - 1 else rank_inputs[rank]
        assert_reduced(arrays[f"reduce/SUM/{dtype}"], expected, n)
        np.testing.assert_array_equal(arrays[f"all_gather/{dtype}"], np.stack(rank_inputs))


def test_async_views_scalars_and_other_devices(job):
    n = len(job)
    floats = inputs("float32", n)
    for rank, (arrays, info) in enumerate(job):
        assert_reduced(arrays["async/all_reduce"], reference("SUM", floats), n)
        expected = reference("AVG", floats) if rank == 0 else floats[rank]
        assert_reduced(arrays["async/reduce/AVG/dst0"], expected, n)
        np.testing.assert_array_equal(arrays["view/all_reduce/MAX"],
                                      reference("MAX", inputs("float64", n)))
        assert arrays["scalar/all_reduce/PRODUCT"] == np.prod(np.arange(1, n + 1))
        assert_reduced(arrays["fake/all_reduce/SUM"], reference("SUM", floats), n)
        assert info["fake_device_kept"], "the staged result must stay on the tensor's device"
        assert info["size"] == n and info["rank"] == rank and info["backend"] == "mpi"


def test_objects_travel_as_json(job):
    n = len(job)
    for _, info in job:
        # JSON: the tuple arrives as a list
        assert info["all_gather_object"] == [{"rank": r, "name": f"r{r}", "pair": [r, 1]}
                                             for r in range(n)]
        assert info["broadcast_object_list"] == [{"from": n - 1}, [n - 1, "x"], None]


def test_misuse_is_a_clear_error_on_every_rank(job):
    expected = {"avg_on_int": ("DTypeError", "ReduceOp.AVG needs a floating-point"),
                "bad_src": ("OutOfRangeError", "src="),
                "bad_dst": ("OutOfRangeError", "dst=-1"),
                "gather_count": ("ShapeError", "tensor_list must be a list of"),
                "gather_shape": ("ShapeError", "has shape (3,)"),
                "requires_grad": ("AutogradError", "all_reduce: in-place change"),
                "not_json": ("DTypeError", "JSON"),
                "second_init": ("DistributedError", "already initialized")}
    for _, info in job:
        for name, (kind, text) in expected.items():
            assert info["errors"][name] is not None, f"{name}: no error was raised"
            assert info["errors"][name][0] == kind, info["errors"][name]
            assert text in info["errors"][name][1], info["errors"][name]


def test_collectives_before_init_are_a_clear_error():
    assert not dist.is_initialized()
    t = minidl.ones(3)
    calls = [lambda: dist.all_reduce(t), lambda: dist.broadcast(t, 0), lambda: dist.barrier(),
             lambda: dist.reduce(t, 0), lambda: dist.all_gather([t], t), lambda: dist.get_rank(),
             lambda: dist.get_world_size(), lambda: dist.all_gather_object([None], 1),
             lambda: dist.broadcast_object_list([1]), lambda: dist.destroy_process_group()]
    for call in calls:
        with pytest.raises(dist.DistributedError, match="not initialized.*init_process_group"):
            call()
    np.testing.assert_array_equal(t.numpy(), np.ones(3))


def test_init_refuses_other_backends_without_starting_mpi():
    with pytest.raises(ValueError, match="backend 'gloo' is not supported"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:23456")
    assert not dist.is_initialized()


def test_init_checks_the_timeout_without_starting_mpi():
    with pytest.raises(TypeError, match="timeout must be a datetime.timedelta or None, got int"):
        dist.init_process_group("mpi", timeout=30)
    with pytest.raises(ValueError, match="timeout must be positive, got 0:00:00"):
        dist.init_process_group("mpi", timeout=timedelta(0))
    assert not dist.is_initialized()
