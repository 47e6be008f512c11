"""Training steps on a quiet and on a busy machine: minidl (its default, a BLAS thread count that
follows the load) against PyTorch (its default threads).

Besides the default, minidl runs with one fixed BLAS thread and with as many as cores: the
default should be as fast as the better of the two on either machine. Busy means two
CPU-bound processes that this script starts before the busy runs and stops after them (and on
any exit), on the cores that everything else uses. Each measurement runs in a fresh process of
its own, so no framework's idle threads run beside another's: a worker process warms up (five
steps and half a second at least), times ``--steps`` steps and reports their median.
Contenders take turns (A B C D, A B C D, ...) for ``--rounds`` rounds and the median over
rounds is reported, with the ratio of minidl's default to PyTorch measured in the same run.
``--baseline REV`` adds minidl as it was at git revision REV (its package extracted with ``git
archive`` into a temporary directory, with its own defaults) as one more contender: the check
that a change made neither machine slower.

Workloads (float32, batch 128; the models of benchmarks/training_step.py): the MLP training
step, the CNN training step, and the per-op overhead of benchmarks/overhead.py (a chain of 400
small ops, forward and backward, in microseconds per op).

    python benchmarks/busy_machine.py [--rounds 3] [--steps 15] [--only mlp|cnn|ops]
                                      [--machine quiet|busy] [--baseline REV] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = {"mlp": "ms per MLP step", "cnn": "ms per CNN step", "ops": "us per op"}
HOG = "while True: pass"
WARM_UP = 0.5  # seconds of steps before timing (and at least five steps)


def contenders(cores: int, baseline=None) -> dict:
    """name -> environment of the worker process. ``baseline``: (revision, directory holding
    that revision's minidl package), or None."""
    named = {"minidl": {"MINIDL_NUM_THREADS": "adaptive"},  # the default
             "minidl, 1 thread": {"MINIDL_NUM_THREADS": "1"},
             f"minidl, {cores} threads": {"MINIDL_NUM_THREADS": str(cores)}}
    if baseline:
        revision, directory = baseline
        named[f"minidl at {revision}"] = {"PYTHONPATH": directory}
    named["PyTorch"] = {"FRAMEWORK": "torch"}
    return named


def extract_revision(revision: str, directory: str) -> None:
    """The minidl package as it was at git ``revision``, written under ``directory``."""
    root = os.path.dirname(HERE)
    archive = subprocess.run(["git", "-C", root, "archive", "--format=tar", revision, "minidl"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"--baseline {revision}: git archive failed:\n"
                         f"{archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", directory], input=archive.stdout, check=True)


# ------------------------------------------------------------------ the worker processes
def worker(workload: str, steps: int) -> float:
    """Runs in its own process: the median time of one step (ms), or of one op (us)."""
    import numpy as np
    sys.path.insert(0, HERE)
    import training_step
    use_torch = os.environ.get("FRAMEWORK") == "torch"
    if workload == "ops":
        import overhead
        chain = overhead.torch_chain if use_torch else overhead.minidl_chain
        x0, rounds = np.ones(4), 100  # 400 ops
        times = []
        for i in range(steps + 3):
            start = time.perf_counter()
            chain(x0, rounds)
            if i >= 3:
                times.append((time.perf_counter() - start) / (4 * rounds) * 1e6)
        return statistics.median(times)
    rng = np.random.default_rng(0)
    shape = (128, 784) if workload == "mlp" else (128, 1, 28, 28)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, 128)
    if use_torch:
        import torch
        torch.manual_seed(0)
        model = training_step.torch_models()[workload == "cnn"]
        step = training_step.torch_trainer(model, x, y)
    else:
        model = training_step.minidl_mlp() if workload == "mlp" else training_step.minidl_cnn()
        step = training_step.minidl_trainer(model, x, y)
    warm_until = time.perf_counter() + WARM_UP
    for i in range(1000):  # the first steps allocate; minidl's default looks at the load
        step()
        if i >= 4 and time.perf_counter() > warm_until:
            break
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure(workload: str, env: dict, steps: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--worker", workload, "--steps", str(steps)],
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"worker {workload} {env} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the background load
class BusyMachine:
    """``with BusyMachine(2):`` two CPU-bound processes run for the block's duration."""

    def __init__(self, processes: int):
        self.processes, self.hogs = processes, []

    def __enter__(self):
        self.hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(self.processes)]
        time.sleep(1.0)  # let the scheduler settle them on the cores
        return self

    def __exit__(self, *exc):
        for hog in self.hogs:
            hog.kill()
            hog.wait()


def run(workloads, conditions, rounds: int, steps: int, busy_processes: int,
        baseline=None) -> dict:
    cores = len(os.sched_getaffinity(0))
    named = contenders(cores, baseline)
    results = {}
    for condition in conditions:
        background = BusyMachine(busy_processes if condition == "busy" else 0)
        with background:
            for workload in workloads:
                times = {name: [] for name in named}
                for _ in range(rounds):
                    for name, env in named.items():
                        times[name].append(measure(workload, env, steps))
                results[(workload, condition)] = {n: statistics.median(t)
                                                  for n, t in times.items()}
    return results


def report(results: dict) -> None:
    names = list(next(iter(results.values())))
    baseline = next((n for n in names if n.startswith("minidl at ")), None)
    print(f"{'workload':<18}{'machine':<8}" + "".join(f"{n:>20}" for n in names)
          + f"{'minidl / PyTorch':>18}" + (f"{'minidl / baseline':>19}" if baseline else ""))
    for (workload, condition), row in results.items():
        ratios = f"{row['minidl'] / row['PyTorch']:>17.2f}x"
        if baseline:
            ratios += f"{row['minidl'] / row[baseline]:>18.2f}x"
        print(f"{WORKLOADS[workload]:<18}{condition:<8}"
              + "".join(f"{row[n]:>20.2f}" for n in names) + ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--only", choices=list(WORKLOADS))
    parser.add_argument("--machine", choices=["quiet", "busy"], help="only this condition")
    parser.add_argument("--busy-processes", type=int, default=2)
    parser.add_argument("--baseline", metavar="REV",
                        help="also run minidl as it was at this git revision")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--worker", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(worker(args.worker, args.steps))
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("busy_machine.py compares with PyTorch: pip install torch==2.13.0") \
            from None
    workloads = [args.only] if args.only else list(WORKLOADS)
    print(f"{len(os.sched_getaffinity(0))} cores; busy = {args.busy_processes} CPU-bound "
          f"processes; medians of {args.rounds} rounds of {args.steps} steps, each in a fresh "
          "process")
    conditions = [args.machine] if args.machine else ["quiet", "busy"]
    with tempfile.TemporaryDirectory() as directory:
        if args.baseline:
            extract_revision(args.baseline, directory)
        baseline = (args.baseline, directory) if args.baseline else None
        results = run(workloads, conditions, args.rounds, args.steps, args.busy_processes,
                      baseline)
    report(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{w} {c}": row for (w, c), row in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
