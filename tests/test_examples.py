"""Every lesson script in examples/ runs end to end in its --quick mode and exits 0."""
import importlib.util
import os
import re
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


# Lessons with a test of their own numbers below (which also runs them).
CHECKED_BELOW = {"quadratic.py", "optimizers.py"}


@pytest.mark.parametrize("script", sorted(set(LESSONS) - CHECKED_BELOW))
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


def table_rows(output: str, title: str) -> dict:
    """The rows of the table printed under the line starting with ``title``, by first cell
    (cells are separated by two or more spaces, as ``print_table`` aligns them)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title)) + 3
    rows = {}
    for line in lines[start:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return rows


def test_optimizers_runs_the_notes_momentum(tmp_path):
    """The notes' EWA (v from 0) at lr 0.1 moves y from 0.8 to 0.4, as PyTorch's momentum does at
    lr 0.01; SGD(dampening=0.9) starts its buffer at g and jumps to -3.2. The EWA and PyTorch runs
    at lr and lr (1 - beta) follow the same path."""
    if not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    output = run_lesson("optimizers.py", tmp_path)
    first = table_rows(output, "(a) first steps on the bowl")
    assert first["EWA momentum"][:2] == ["0.1", "0.4"]
    assert first["momentum"][:2] == ["0.01", "0.4"]
    assert first["momentum"][1:] == first["EWA momentum"][1:]
    assert first["SGD(dampening=0.9)"][:2] == ["0.1", "-3.2"]
    same = table_rows(output, "(a) EWA momentum at lr vs PyTorch's momentum")
    assert set(same) == {"Rosenbrock", "bowl (x^2 + 50 y^2) / 2"}
    for ewa_lr, ewa_steps, sgd_lr, sgd_steps, distance in same.values():
        assert float(sgd_lr) == pytest.approx(float(ewa_lr) * 0.1)
        assert ewa_steps == sgd_steps
        assert float(distance) < 1e-12
    for part in ("(a) Rosenbrock", "(a) bowl", "(b) MLP"):
        assert "EWA momentum" in table_rows(output, part)
    check_figures("optimizers.py", tmp_path)


def test_scalar_backprop_takes_the_lesson_arguments(tmp_path):
    """--quick and --out like every lesson (the drawings go to --out); unknown flags are errors."""
    script = str(EXAMPLES / "scalar_backprop.py")
    done = subprocess.run([sys.executable, script, "--quick", "--out", str(tmp_path / "drawn")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("every gradient matches its finite difference") == 2
    for name in ("expression.dot", "expression.mmd", "two_neurons.dot", "two_neurons.mmd"):
        assert (tmp_path / "drawn" / name).stat().st_size > 0
    assert not (tmp_path / "runs").exists()
    wrong = subprocess.run([sys.executable, script, "--no-such-flag"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 2 and "unrecognized arguments" in wrong.stderr
