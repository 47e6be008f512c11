"""Every lesson script in examples/ runs end to end in its --quick mode and exits 0."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LESSONS = {  # script -> figures it writes
    "saddle_point.py": ["saddle_point.png"],
    "quadratic.py": ["quadratic.png"],
    "optimizers.py": ["optimizers_2d.png", "optimizers_mlp.png"],
    "gradient_descent_variants.py": ["gradient_descent_variants.png"],
    "schedules.py": ["schedules.png"],
    "hparam_search.py": ["hparam_search.png"],
    "normalization.py": ["normalization.png"],
    "regularization.py": ["regularization.png"],
}
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
# Lessons that train on Fashion-MNIST read it from the Debian package `dataset-fashion-mnist`
# (.ci/run installs it); tests never download. Without it they cannot run at all.
NEEDS_FASHION_MNIST = {"optimizers.py", "gradient_descent_variants.py", "schedules.py",
                       "hparam_search.py", "normalization.py", "regularization.py"}
HAS_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist").is_dir()


def run_lesson(script: str, out: Path) -> str:
    # One BLAS thread: the quick runs use small matrices, for which a multithreaded BLAS on a
    # busy machine spends far longer synchronizing threads than computing.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def check_figures(script: str, out: Path) -> None:
    if HAS_MATPLOTLIB:
        for figure in LESSONS[script]:
            assert (out / figure).stat().st_size > 0, f"{script} did not write {figure}"


@pytest.mark.parametrize("script", sorted(set(LESSONS) - {"quadratic.py"}))
def test_lesson_runs_quick(script, tmp_path):
    if script in NEEDS_FASHION_MNIST and not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    output = run_lesson(script, tmp_path)
    assert "---" in output  # printed a table
    check_figures(script, tmp_path)


def test_quadratic_float32_numbers(tmp_path):
    """The float32 run prints 0.099999994 and 4.9999886; float64 follows 5 (1 - 0.98^t)."""
    output = run_lesson("quadratic.py", tmp_path)
    lines = output.splitlines()
    float32_row = next(line for line in lines if line.startswith("float32 "))
    assert float32_row.split()[1:3] == ["0.099999994", "4.9999886"]
    float64_row = next(line for line in lines if line.startswith("float64 "))
    assert float64_row.split()[1:3] == ["0.1", "4.999999991753459"]
    # rounding w - lr * grad once (a fused multiply-add) gives TensorFlow's printed result
    fused_row = next(line for line in lines if line.startswith("float32, fused update"))
    assert fused_row.split()[3:5] == ["0.099999994", "4.999988"]
    check_figures("quadratic.py", tmp_path)
