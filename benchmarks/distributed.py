"""Data-parallel timings: minidl's collectives and DDP on 2 MPI ranks, PyTorch's gloo alongside.

1. All-reduce (SUM, float32, in place) from 1 KiB to 64 MiB between 2 ranks: minidl's
   ``all_reduce`` on a Tensor against raw mpi4py ``Allreduce`` on the very same buffer
   (interleaved); minidl's ``all_reduce(async_op=True).wait()`` (what DDP uses: it waits
   without spinning); and ``torch.distributed.all_reduce`` over gloo when PyTorch is installed.
   Times are medians per call; bandwidth is the buffer size over that time.
2. Training throughput (steps/s, SGD with momentum, global batch 256) of the MLP
   784-512-256-10 and the CNN of ``training_step.py``, five ways, interleaved in one job:
   * ``ddp``:         2 ranks x 1 BLAS thread, batch 128 each, DistributedDataParallel;
   * ``ddp 1MB``:     the same with 1 MiB buckets (more, smaller all-reduces sent earlier);
   * ``1MB at end``:  1 MiB buckets, all sent after backward (``reducer.overlap = False``):
                      what sending buckets from the gradient hooks during backward brings;
   * ``no comm``:     2 ranks x 1 thread under ``no_sync()``: the all-reduce skipped, the
                      best DDP could do (the ranks never wait for each other);
   * ``1 x 2 thr``:   one process with 2 BLAS threads at batch 256 (the other rank sleeps),
                      timed after the others (its idle threads spin for a while after it).
   ``efficiency`` is ddp / no comm. Each rate is the slowest rank's (a global batch is done
   when every rank has done its share; without communication the ranks would otherwise drift
   apart and the faster one's rate would flatter the bound). PyTorch does the same with DDP
   over gloo when installed.

Each part is one ``mpiexec -n 2`` job running this file with ``--worker``; its rank 0 writes
the numbers to a JSON file that this process prints (and, with ``--json``, keeps).

    python benchmarks/distributed.py [--repeats 5] [--only allreduce|train] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = [2**k for k in range(10, 27, 2)]  # 1 KiB .. 64 MiB
MODES = ["ddp", "ddp 1MB", "1MB at end", "no comm", "1 x 2 thr"]
GLOBAL_BATCH = 256


# ----------------------------------------------------------------------------- the workers
def calls_per_sample(size: int) -> int:
    """Enough calls that one sample lasts ~20 ms at ~1 GB/s, and at least a few."""
    return max(3, min(2000, int(2e7 / size)))


def allreduce_worker(out: Path, repeats: int) -> None:
    import numpy as np

    import minidl.distributed as dist
    dist.init_process_group("mpi")
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    torch_dist = _torch_gloo(comm.Get_rank(), comm.Get_size())
    results = {}
    for size in SIZES:
        buffer = np.zeros(size // 4, dtype=np.float32)  # zeros: sums never overflow
        candidates = _allreduce_calls(buffer, comm, MPI, torch_dist)
        calls = calls_per_sample(size)
        samples = {name: [] for name in candidates}
        for call in candidates.values():  # warm-up
            call()
        for _ in range(repeats):
            for name, call in candidates.items():
                comm.Barrier()
                start = time.perf_counter()
                for _ in range(calls):
                    call()
                samples[name].append((time.perf_counter() - start) / calls)
        results[str(size)] = {name: statistics.median(t) for name, t in samples.items()}
    if comm.Get_rank() == 0:
        out.write_text(json.dumps(results))
    dist.destroy_process_group()


def _allreduce_calls(buffer, comm, MPI, torch_dist) -> dict:
    """name -> a call that all-reduces ``buffer`` (the same memory for every candidate)."""
    import minidl
    import minidl.distributed as dist
    tensor = minidl.as_tensor(buffer)  # no copy: the Tensor's array is ``buffer``
    calls = {"mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, buffer, MPI.SUM),
             "minidl": lambda: dist.all_reduce(tensor),
             "minidl async": lambda: dist.all_reduce(tensor, async_op=True).wait()}
    if torch_dist is not None:
        import torch
        shared = torch.from_numpy(buffer)
        calls["torch gloo"] = lambda: torch_dist.all_reduce(shared)
    return calls


def _torch_gloo(rank: int, size: int):
    """torch.distributed over gloo on 127.0.0.1, or None without PyTorch."""
    try:
        import torch
        import torch.distributed as torch_dist
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch_dist.init_process_group("gloo", rank=rank, world_size=size,
                                  init_method=f"tcp://127.0.0.1:{os.environ['BENCH_PORT']}")
    return torch_dist


def idle_until_everyone_arrives(comm) -> None:
    """Wait at a barrier without spinning, so a sleeping rank leaves its core to the other."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.001)


def _time_mode(comm, step, steps: int, alone: bool):
    """Steps per second of ``steps`` steps: on both ranks, the slowest rank's (a global batch
    is done when every rank has done its share), or, ``alone``, on rank 0 while the other rank
    sleeps (None there)."""
    from mpi4py import MPI
    from threadpoolctl import threadpool_limits
    if alone and comm.Get_rank() != 0:
        idle_until_everyone_arrives(comm)
        return None
    if not alone:
        comm.Barrier()
    with threadpool_limits(limits=2 if alone else 1):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        elapsed = time.perf_counter() - start
    if alone:
        idle_until_everyone_arrives(comm)
    else:
        elapsed = comm.allreduce(elapsed, op=MPI.MAX)
    return steps / elapsed


def train_worker(out: Path, repeats: int, framework: str) -> None:
    import numpy as np
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rng = np.random.default_rng(rank)
    labels = rng.integers(0, 10, GLOBAL_BATCH).astype(np.int64)
    shapes = {"MLP": (784,), "CNN": (1, 28, 28)}
    steps = {"MLP": 40, "CNN": 4}
    if framework == "minidl":
        make = _minidl_runners()
    else:
        make = _torch_runners(rank, size)
    results = {}
    for model_name, shape in shapes.items():
        x = rng.standard_normal((GLOBAL_BATCH,) + shape).astype(np.float32)
        half = slice(0, GLOBAL_BATCH // size)
        runners = {mode: make(model_name, mode, x if mode == "1 x 2 thr" else x[half],
                              labels if mode == "1 x 2 thr" else labels[half])
                   for mode in MODES}
        rates = {mode: [] for mode in MODES}
        ranked = [mode for mode in MODES if mode != "1 x 2 thr"]
        # The 2-rank modes take turns; the single process runs after them, apart: the idle
        # workers of its 2-thread pool keep spinning for a while (OpenBLAS's thread timeout,
        # OpenMP's spin for PyTorch) and would take a core from the next mode's ranks.
        for modes in (ranked, ["1 x 2 thr"]):
            for round_ in range(repeats + 1):  # round 0 is the warm-up
                for mode in modes:
                    rate = _time_mode(comm, runners[mode], steps[model_name],
                                      alone=mode == "1 x 2 thr")
                    if round_ and rate is not None:
                        rates[mode].append(rate)
        results[model_name] = {mode: statistics.median(r) for mode, r in rates.items()
                               if r}
    if rank == 0:
        out.write_text(json.dumps(results))


def _minidl_runners():
    sys.path.insert(0, str(HERE))
    from training_step import minidl_cnn, minidl_mlp

    import minidl
    import minidl.distributed as dist
    import minidl.nn.functional as F
    from minidl.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")

    def make(model_name, mode, x, y):
        minidl.manual_seed(0)
        model = (minidl_mlp if model_name == "MLP" else minidl_cnn)()
        net = model
        if mode != "1 x 2 thr":
            net = DistributedDataParallel(model, bucket_cap_mb=None if mode == "ddp" else 1)
            net.reducer.overlap = mode != "1MB at end"
        optimizer = minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt, yt = minidl.tensor(x), minidl.tensor(y)

        def step():
            optimizer.zero_grad()
            if mode == "no comm":
                with net.no_sync():
                    loss = F.cross_entropy(net(xt), yt)
            else:
                loss = F.cross_entropy(net(xt), yt)
            loss.backward()
            optimizer.step()
        return step
    return make


def _torch_runners(rank, size):
    sys.path.insert(0, str(HERE))
    import torch
    from torch.nn.parallel import DistributedDataParallel
    from training_step import torch_models
    _torch_gloo(rank, size)

    def make(model_name, mode, x, y):
        torch.manual_seed(0)
        model = torch_models()[0 if model_name == "MLP" else 1]
        net = model
        if mode != "1 x 2 thr":  # ("1MB at end" has no PyTorch equivalent: same as ddp 1MB)
            net = DistributedDataParallel(model, bucket_cap_mb=25 if mode == "ddp" else 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        threads = 2 if mode == "1 x 2 thr" else 1

        def step():
            torch.set_num_threads(threads)
            optimizer.zero_grad()
            if mode == "no comm":
                with net.no_sync():
                    loss = torch.nn.functional.cross_entropy(net(xt), yt)
                    loss.backward()
            else:
                loss = torch.nn.functional.cross_entropy(net(xt), yt)
                loss.backward()
            optimizer.step()
        return step
    return make


# ----------------------------------------------------------------------------- the parent
def launch(worker: str, repeats: int, out: Path, threads: int = 1) -> None:
    with socket.socket() as s:  # a free port for gloo's rendezvous, on 127.0.0.1 only
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mpiexec = Path(sys.executable).parent / "mpiexec"
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", "2", "-H", "localhost:2",
               "--oversubscribe", "--mca", "btl_tcp_if_include", "lo"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    env = dict(os.environ, BENCH_PORT=str(port), OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    subprocess.run(command + [sys.executable, __file__, "--worker", worker, "--out", str(out),
                              "--repeats", str(repeats)], env=env, check=True, timeout=900)


def print_allreduce(results: dict) -> None:
    names = list(next(iter(results.values())))
    print("\nAll-reduce, 2 ranks, float32 SUM in place: median time per call "
          "(bandwidth = size / time)")
    print(f"{'size':>8}" + "".join(f"{name:>25}" for name in names) + f"{'minidl/mpi4py':>15}")
    for size, times in results.items():
        size = int(size)
        label = f"{size // 2**20} MiB" if size >= 2**20 else f"{size // 2**10} KiB"
        cells = "".join(f"{times[n] * 1e6:>10.1f} us {size / times[n] / 1e9:>6.2f} GB/s"
                        for n in names)
        print(f"{label:>8}{cells}{times['minidl'] / times['mpi4py']:>14.2f}x")


def print_training(framework: str, results: dict) -> None:
    print(f"\n{framework}: training steps/s, SGD momentum, global batch {GLOBAL_BATCH} "
          "(2 ranks x 1 thread, or 1 process x 2 threads)")
    print(f"{'model':>6}" + "".join(f"{mode:>11}" for mode in MODES) + f"{'efficiency':>12}")
    for model, rates in results.items():
        cells = "".join(f"{rates[mode]:>11.1f}" for mode in MODES)
        print(f"{model:>6}{cells}{rates['ddp'] / rates['no comm']:>11.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["allreduce", "train"])
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--worker", choices=["allreduce", "train-minidl", "train-torch"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "allreduce":
        return allreduce_worker(args.out, args.repeats)
    if args.worker:
        return train_worker(args.out, args.repeats, args.worker.split("-")[1])

    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("mpi4py is not installed (pip install 'minidl[distributed]'): skipped")
        return
    try:
        import torch  # noqa: F401
        frameworks = ["minidl", "torch"]
    except ImportError:
        frameworks = ["minidl"]
        print("PyTorch is not installed: its columns are skipped "
              "(pip install torch==2.13.0 for the CPU build)")
    # Two ranks wait for each other at every all-reduce, so other jobs on the machine slow DDP
    # far more than a single process: the load average is printed with the results.
    results = {"load average before": os.getloadavg()[0]}
    print(f"load average {results['load average before']:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "allreduce"):
            launch("allreduce", args.repeats, Path(tmp) / "allreduce.json")
            results["allreduce"] = json.loads((Path(tmp) / "allreduce.json").read_text())
            print_allreduce(results["allreduce"])
        if args.only in (None, "train"):
            for framework in frameworks:
                out = Path(tmp) / f"train-{framework}.json"
                launch(f"train-{framework}", args.repeats, out, threads=2)
                results[f"train {framework}"] = json.loads(out.read_text())
                print_training(framework, results[f"train {framework}"])
    results["load average after"] = os.getloadavg()[0]
    print(f"\nload average {results['load average after']:.1f} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
