"""Small helpers shared by the lesson scripts in ``examples/`` (not part of the library).

Each lesson is a flat script; what they all need is here so that they can stay short: the common
command line (``--quick``, ``--out``, ``--seed``, ``--seeds``, ``--threads``, ``--json``), an
optional matplotlib, a plain-text table that is also kept for the lesson's JSON results, the mean
and spread over several seeds, conclusions stated only where the seeds agree (``compare``), and
a Fashion-MNIST subset as tensors ready for an MLP.

Reproducible numbers: ``parse_args`` fixes the number of BLAS threads inside the script (with
threadpoolctl), because a multithreaded matrix product may add its partial sums in another order
from run to run, and after a few hundred training steps those last-bit differences grow into
different tables. With the same seed and thread count a lesson prints the same table every time.

Every table printed with a ``key`` and every ``conclude``d sentence goes into the JSON results
(``--json``, default ``<out>/<lesson>.json``) that ``save_results`` writes at the end;
``examples/_readme_tables.py`` turns the committed full-run results into the README's tables.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

# Let the scripts run from a checkout without installing minidl.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minidl  # noqa: E402
from minidl.data.datasets import FashionMNIST  # noqa: E402

# What the lesson has printed so far, for save_results: set up by parse_args.
_RESULTS: Dict[str, Any] = {"tables": {}, "conclusions": [], "data": {}}


def parse_args(description: str, default_out: str = os.path.join("runs", "lessons"),
               seeds: int = 1) -> argparse.Namespace:
    """The command line every lesson takes; creates the ``--out`` folder and fixes BLAS threads.

    ``seeds``: how many seeds the lesson runs by default (``--seeds`` overrides it; ``--quick``
    caps it at 2). ``args.seed_list`` is then ``[seed, seed + 1, ...]``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny version that runs in a few seconds (used by the tests)")
    parser.add_argument("--out", default=default_out,
                        help=f"folder for the figures (default: {default_out})")
    parser.add_argument("--seed", type=int, default=0, help="the first seed (default: 0)")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"how many seeds to average over (default: {seeds}, "
                             f"at most 2 with --quick)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default: 1; the tables depend on it)")
    parser.add_argument("--json", default=None,
                        help="where to write the results (default: OUT/<lesson>.json)")
    args = parser.parse_args()
    n_seeds = args.seeds if args.seeds is not None else (min(seeds, 2) if args.quick else seeds)
    if n_seeds < 1:
        parser.error("--seeds must be at least 1")
    args.seed_list = [args.seed + i for i in range(n_seeds)]
    os.makedirs(args.out, exist_ok=True)
    lesson = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    args.json = args.json or os.path.join(args.out, f"{lesson}.json")
    _RESULTS.update(lesson=lesson, path=args.json, started=time.perf_counter(), meta={
        "command": " ".join(["python", f"examples/{lesson}.py"]
                            + [shlex.quote(a) for a in sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "quick": args.quick, "seeds": args.seed_list, "threads": None, "thread_pools": []})
    fix_blas_threads(args.threads)
    return args


def fix_blas_threads(threads: int) -> None:
    """Use ``threads`` BLAS threads for the rest of the run (``minidl.set_num_threads``) and
    record the pools in the results (without threadpoolctl, numbers may vary)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        print("(threadpoolctl is not installed: BLAS threads not fixed, tables may vary)")
        return
    minidl.set_num_threads(threads)
    _RESULTS["meta"]["threads"] = threads
    _RESULTS["meta"]["thread_pools"] = [
        {key: pool.get(key) for key in ("internal_api", "version", "num_threads")}
        for pool in threadpool_info()]


def pyplot():
    """matplotlib.pyplot with a file-only backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no figure)")
        return None
    return plt


def save_figure(fig, out: str, name: str) -> None:
    path = os.path.join(out, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    fig.clf()
    print(f"wrote {path}")


def cell(value) -> str:
    """How a table shows a value: floats with 4 significant digits, the rest as str()."""
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def print_table(header: Sequence[str], rows: List[Sequence], key: Optional[str] = None,
                title: Optional[str] = None) -> None:
    """Print ``title`` and then rows as aligned columns; with a ``key``, also keep the table
    (as printed) for the JSON results, where the README's tables come from."""
    cells = [[cell(v) for v in row] for row in rows]
    if title:
        print(title)
    widths = [max(len(r[j]) for r in cells + [list(header)]) for j in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()
    if key is not None:
        _RESULTS["tables"][key] = {"title": title or "", "header": list(header), "rows": cells}


def mean_spread(values: Sequence[float]):
    """(mean, spread) over seeds; the spread is the sample standard deviation (0 for one seed).
    NaNs (diverged runs) are left out; all NaN gives (nan, 0)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), 0.0
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), spread


def show_spread(values: Sequence[float], digits: int = 3) -> str:
    """"0.812 ± 0.004": the mean and spread over seeds (a single seed: just the value). NaN
    stands for a diverged run: "diverged" if all did, else the others' mean and "(k diverged)"."""
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "diverged"
    mean, spread = mean_spread(finite)
    mean = mean + 0.0 if round(mean, digits) else 0.0  # no "-0.000"
    text = f"{mean:.{digits}f}" if len(finite) == 1 else f"{mean:.{digits}f} ± {spread:.{digits}f}"
    return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)} diverged)"


def clearly_different(a: Sequence[float], b: Sequence[float]) -> bool:
    """True when the means of a and b differ by more than their two spreads added: only then
    does a lesson state which is larger (with one seed there is no spread: never). Diverged
    runs (NaN) are left out; a setting whose every run diverged differs from one that trains."""
    a = [v for v in a if np.isfinite(v)]
    b = [v for v in b if np.isfinite(v)]
    if not a or not b:
        return bool(a) != bool(b)
    if len(a) < 2 or len(b) < 2:
        return False
    (mean_a, spread_a), (mean_b, spread_b) = mean_spread(a), mean_spread(b)
    return abs(mean_a - mean_b) > spread_a + spread_b


def compare(a: Sequence[float], b: Sequence[float], differ: str, same: str,
            which: Sequence[Any] = ("larger", "smaller"), **fields: Any) -> None:
    """Conclude how two settings' numbers over the seeds, ``a`` and ``b``, compare, but only
    as far as the seeds agree. When ``clearly_different(a, b)``, the sentence is ``differ``, with
    ``{which}`` the first word of ``which`` if a's mean is the larger, else the second;
    otherwise ``same`` (with one seed, nothing: there is no spread to compare with). In both,
    ``{a}`` and ``{b}`` stand for ``show_spread(a)`` and ``show_spread(b)``, and other
    ``{names}`` for ``fields``."""
    shown = dict(fields, a=show_spread(a), b=show_spread(b))
    if clearly_different(a, b):
        larger = mean_spread(a)[0] > mean_spread(b)[0]
        conclude(differ.format(which=which[0] if larger else which[1], **shown))
    elif len(_RESULTS["meta"]["seeds"]) > 1:
        conclude(same.format(**shown))


def conclude(sentence: str) -> None:
    """Print one conclusion drawn from the numbers; it also goes into the JSON results."""
    print(sentence)
    _RESULTS["conclusions"].append(sentence)


def keep(name: str, value: Any) -> None:
    """Keep a JSON-serializable value (a curve, a count) in the results, for tests and plots."""
    _RESULTS["data"][name] = value


def save_results() -> None:
    """Write everything kept so far to the ``--json`` file, with the date, the command and the
    seconds the lesson took."""
    meta = dict(_RESULTS["meta"], seconds=round(time.perf_counter() - _RESULTS["started"], 1))
    results = {"lesson": _RESULTS["lesson"], "meta": meta, "tables": _RESULTS["tables"],
               "conclusions": _RESULTS["conclusions"], "data": _RESULTS["data"]}
    with open(_RESULTS["path"], "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {_RESULTS['path']}")


def fashion_mnist(n_train: int, n_val: int, seed: int = 0, flat: bool = True):
    """(x_train, y_train, x_val, y_val): random subsets of the Fashion-MNIST training set as
    float32 tensors, standardized with the training subset's mean and std, and int64 labels.

    Validation comes from the training set (the test set stays untouched for final reports)."""
    data = FashionMNIST(train=True, download=True).as_tensor_dataset()
    images, labels = data.tensors[0].numpy(), data.tensors[1].numpy()
    order = np.random.default_rng(seed).permutation(len(labels))
    train, val = order[:n_train], order[n_train:n_train + n_val]
    x = images.reshape(len(labels), -1) if flat else images
    mean, std = x[train].mean(), x[train].std()
    standardize = lambda a: minidl.tensor(((a - mean) / std).astype(np.float32))  # noqa: E731
    return (standardize(x[train]), minidl.tensor(labels[train]),
            standardize(x[val]), minidl.tensor(labels[val]))


def accuracy(logits: minidl.Tensor, labels: minidl.Tensor) -> float:
    return float((logits.argmax(1) == labels).numpy().mean())
