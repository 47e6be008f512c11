"""examples/train_ddp.py end to end: 2 ranks train as 1 process at the same global batch, only
rank 0 prints, and a checkpoint written by 2 ranks resumes in 1 process."""
import gzip
import shutil
import subprocess
import sys

import numpy as np

import minidl
from minidl.data.datasets.idx import encode_idx

from .launch import ROOT, require_mpi, run_mpi_ok

SCRIPT = ROOT / "examples" / "train_ddp.py"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# 256 training images in global batches of 32: 8 steps per epoch, 16 images per rank and step.
ARGS = ["--dataset", "mnist", "--batch-size", "32", "--epochs", "1"]


def write_tiny_mnist(directory):
    """256 + 64 noisy images whose label is the position of one bright row (learnable)."""
    rng = np.random.default_rng(0)
    arrays = []
    for n in (256, 64):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 80, (n, 28, 28)).astype(np.uint8)
        images[np.arange(n), 2 + 2 * labels, :] = 255
        arrays += [images, labels]
    directory.mkdir()
    for name, array in zip(FILES, arrays):
        (directory / name).write_bytes(gzip.compress(encode_idx(array), mtime=0))
    return directory


def run_one_process(*args):
    """The script without mpiexec: MPI starts as a world of one."""
    result = subprocess.run([sys.executable, str(SCRIPT), *args], cwd=str(ROOT),
                            capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                 "HOME": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def epochs_printed(stdout):
    return [line.split()[1] for line in stdout.splitlines() if line.startswith("epoch ")]


def weights(path):
    return {key: value.numpy() for key, value in minidl.load(path)["model"].items()}


def test_two_ranks_match_one_process_and_resume_with_another_count(tmp_path):
    require_mpi()
    data = write_tiny_mnist(tmp_path / "data")
    two, one, resumed = tmp_path / "two", tmp_path / "one", tmp_path / "resumed"

    job = run_mpi_ok(SCRIPT, "--root", str(data), "--out", str(two), *ARGS, n=2, timeout=120)
    assert "2 ranks x 16 images = global batch 32, 8 steps per epoch" in job.stdout
    assert epochs_printed(job.stdout) == ["1"], job.stdout  # rank 0 alone prints
    saved = minidl.load(two / "checkpoint.safetensors")
    assert saved["epoch"] == 1 and saved["world_size"] == 2
    assert not any(key.startswith("module.") for key in saved["model"])

    # One process, same global batch, same order: the same weights (up to float32 rounding).
    run_one_process("--root", str(data), "--out", str(one), *ARGS)
    ours = weights(two / "checkpoint.safetensors")
    reference = weights(one / "checkpoint.safetensors")
    assert ours.keys() == reference.keys()
    for key in ours:
        np.testing.assert_allclose(ours[key], reference[key], rtol=1e-4, atol=2e-5, err_msg=key)

    # The 2-rank checkpoint, resumed by 1 process for one more epoch.
    shutil.copytree(two, resumed)
    out = run_one_process("--root", str(data), "--out", str(resumed), *ARGS[:-1], "2",
                          "--resume")
    assert "resumed after epoch 1 (saved by 2 ranks, now 1)" in out
    assert epochs_printed(out) == ["2"], out
    assert minidl.load(resumed / "checkpoint.safetensors")["epoch"] == 2
