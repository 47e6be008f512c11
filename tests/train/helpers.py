"""Helpers for the training tests: a tiny dataset in the real IDX format, and script runners.

The dataset has a learnable pattern (a bright row whose position is the label) so that losses
fall, and is small enough that one epoch of a tiny model takes a fraction of a second. Nothing
here touches the network: the script reads the files through ``--data-dir``.
"""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from minidl.data.datasets.idx import encode_idx

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "train_mnist.py"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# Small and fast: 160 training images in batches of 16 (10 steps per epoch), a 4-channel CNN.
TINY = ["--val-size", "40", "--batch-size", "16", "--width", "4", "--no-progress"]


def make_split(n: int, rng: np.random.Generator):
    """n noisy 28x28 images whose label (0..9) is the position of one bright row."""
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 80, size=(n, 28, 28)).astype(np.uint8)
    images[np.arange(n), 2 + 2 * labels, :] = 255
    return images, labels


def write_idx_files(directory: Path, n_train: int = 200, n_test: int = 50) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = make_split(n_train, rng) + make_split(n_test, rng)
    for name, array in zip(FILES, arrays):
        (directory / name).write_bytes(gzip.compress(encode_idx(array), mtime=0))
    return directory


def script_command(*args) -> list:
    """The command line that runs examples/train_mnist.py with ``args``."""
    return [sys.executable, str(SCRIPT), *map(str, args)]


def script_env() -> dict:
    """The environment for the script: this checkout's minidl first on the path, and one BLAS
    thread (matrices this small gain nothing from more, and waiting threads cost a lot on a busy
    machine: a tiny run is several times slower with two threads on two busy cores)."""
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "MKL_NUM_THREADS")}
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), **threads)


def assert_same_run(a: dict, b: dict, steps: int) -> None:
    """Two checkpoints of runs that took ``steps`` steps hold bit-identical weights (last and
    best), optimizer state, and the same history (but for the times)."""
    for part in ("model", "best_model"):
        assert a[part].keys() == b[part].keys()
        for key in a[part]:
            assert np.array_equal(a[part][key].numpy(), b[part][key].numpy()), (part, key)
    for index, per_param in a["optimizer"]["state"].items():
        for name, value in per_param.items():
            assert np.array_equal(value, b["optimizer"]["state"][index][name]), (index, name)
    assert a["progress"]["step"] == b["progress"]["step"] == steps
    assert untimed(a["history"]) == untimed(b["history"])


def untimed(history: dict) -> list:
    return [{k: v for k, v in record.items() if k != "time_s"} for record in history["records"]]


def run_script(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run examples/train_mnist.py with ``args``; its output is captured as text."""
    return subprocess.run(script_command(*args), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=script_env())


class ForkServer:
    """Runs examples/train_mnist.py in processes forked from one that has imported minidl
    already (``forkserver.py`` says why), for tests that run the script dozens of times."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir  # each run's stdout and stderr go there (one per server)
        log_dir.mkdir(parents=True)
        self.runs = 0
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py")), str(SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
            env=script_env())

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def start(self, *args) -> tuple:
        """Start the script with ``args``: (its pid, the files its stdout and stderr go to)."""
        self.runs += 1
        out, err = (self.log_dir / f"run{self.runs}.{name}" for name in ("out", "err"))
        pid = self.ask({"run": list(map(str, args)), "stdout": str(out), "stderr": str(err)})
        return pid["pid"], out, err

    def wait(self, pid: int) -> int:
        """The exit code of run ``pid`` once it ended (-9: killed by SIGKILL)."""
        return self.ask({"wait": pid})["code"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()
