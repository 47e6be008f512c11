"""SyncBatchNorm on real MPI ranks: N ranks at batches B_r give one process's BatchNorm at the
whole batch (outputs, gradients, running statistics), with equal and unequal shares.

``sync_bn_worker.py`` runs the cases of ``sync_bn_cases.py`` with SyncBatchNorm on 2 ranks (and
on 1, where it must be an ordinary BatchNorm); this test runs them with BatchNorm1d/2d in one
process and compares, in float64. Conversion is checked here, in one process.
"""
import json

import numpy as np
import pytest

import minidl
from minidl import nn

from .launch import HERE, require_mpi, run_mpi_ok
from .sync_bn_cases import CASES, model, run, train

LIMIT = 30  # seconds per job


@pytest.fixture(scope="module", params=[2, 1], ids=["2 ranks", "1 rank"])
def job(request, tmp_path_factory):
    require_mpi()
    out = tmp_path_factory.mktemp("sync_bn")
    run_mpi_ok(HERE / "sync_bn_worker.py", str(out), n=request.param, timeout=LIMIT)
    return [(dict(np.load(out / f"rank{r}.npz")), json.loads((out / f"rank{r}.json").read_text()))
            for r in range(request.param)]


def rank_rows(rows: list, ranks: int, rank: int) -> slice:
    rows = rows if ranks == len(rows) else [sum(rows)]
    return slice(sum(rows[:rank]), sum(rows[:rank + 1]))


@pytest.mark.parametrize("case", CASES)
def test_ranks_normalize_as_one_process_over_the_whole_batch(job, case):
    layer_name, per_sample, rows, kwargs = CASES[case]
    layer = getattr(nn, layer_name)(per_sample[0], dtype=minidl.float64, **kwargs)
    expected = run(layer, per_sample, [sum(rows)], 0)
    for key, value in expected.items():
        got = [saved[f"{case}/{key}"] for saved, _ in job]
        if key[0] in "yge" and not key.startswith("grad_"):  # per sample: each rank its rows
            got = np.concatenate(got)
        elif key.startswith("grad_"):  # a parameter's gradient: the ranks' parts add up
            got = sum(got)
        else:  # running statistics: the same on every rank
            for other in got[1:]:
                np.testing.assert_array_equal(other, got[0], err_msg=key)
            got = got[0]
        np.testing.assert_allclose(got, value, rtol=1e-10, atol=1e-12, err_msg=f"{case}/{key}")


def test_a_converted_model_under_ddp_trains_as_one_process(job):
    assert job[0][1]["converted"] == "SyncBatchNorm"
    net = model(seed=0)
    expected = train(net, net, [8], 0)
    for step, state in enumerate(expected):
        for name, value in state.items():
            key = f"ddp/{step}/{name}"
            for saved, _ in job:
                np.testing.assert_allclose(saved[key], value, rtol=1e-10, atol=1e-12,
                                           err_msg=key)


def test_create_graph_through_it_is_a_clear_error_on_every_rank(job):
    if len(job) == 1:  # one rank: an ordinary BatchNorm, whose backward is differentiable
        assert job[0][1]["create_graph"] == "ok"
        return
    for _, info in job:
        assert info["create_graph"].startswith("DistributedError: SyncBatchNorm: its backward "
                                               "is not differentiable"), info


def test_convert_keeps_parameters_buffers_mode_and_state_dict_keys():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=None),
                        nn.Sequential(nn.BatchNorm2d(2, affine=False), nn.InstanceNorm2d(2)))
    shared = net[1]
    net.add_module("again", shared)  # one BatchNorm reached twice stays one module
    net[2][0].eval()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    params = list(net.parameters())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert converted is net
    assert isinstance(net[1], nn.SyncBatchNorm) and net.again is net[1]
    assert isinstance(net[2][0], nn.SyncBatchNorm) and not net[2][0].training
    assert isinstance(net[2][1], nn.InstanceNorm2d)  # not a BatchNorm: left alone
    assert net[1].momentum is None and net[2][0].weight is None
    assert list(net.parameters()) == params  # the same Parameter objects
    after = net.state_dict()
    assert list(after) == list(before)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key].numpy(), value)
    alone = nn.BatchNorm1d(3)
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(alone), nn.SyncBatchNorm)


def test_without_a_process_group_it_is_an_ordinary_batch_norm():
    x = minidl.randn(6, 3, 2, dtype=minidl.float64, requires_grad=True)
    sync, plain = nn.SyncBatchNorm(3, dtype=minidl.float64), nn.BatchNorm1d(3, dtype=minidl.float64)
    for layer in (sync, plain):
        layer(x).pow(2).sum().backward()
    np.testing.assert_allclose(sync(x).detach().numpy(), plain(x).detach().numpy())
    np.testing.assert_allclose(sync.running_var.numpy(), plain.running_var.numpy())
    with pytest.raises(minidl.errors.ShapeError, match="SyncBatchNorm"):
        sync(minidl.randn(3))


def test_matches_pytorch_outside_distributed():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((5, 4, 3))
    ours = nn.SyncBatchNorm(4, momentum=0.2, dtype=minidl.float64)
    theirs = torch.nn.SyncBatchNorm(4, momentum=0.2, dtype=torch.float64).eval()
    ours.eval()
    ours.running_mean.fill_(0.5)
    theirs.running_mean.fill_(0.5)
    np.testing.assert_allclose(ours(minidl.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert str(ours) == str(theirs)
