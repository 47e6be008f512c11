"""examples/mnist.py, the README's quick start, runs end to end in its --quick mode.

It trains on Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (.ci/run installs
it); the test never downloads, so without the package it skips.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "mnist.py"
HAS_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist").is_dir()


@pytest.mark.skipif(not HAS_FASHION_MNIST,
                    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_quick_run_prints_loss_and_accuracy():
    # One BLAS thread: small matrices on a busy machine run faster without thread hand-offs.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--dataset", "fashion-mnist"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"mnist.py failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.startswith("epoch 1  train loss ")
    accuracy = float(done.stdout.split("test accuracy ")[1].split("%")[0])
    assert 30 < accuracy <= 100  # 10 steps on 1,000 images already beat chance (10 %) by far
