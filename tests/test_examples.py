"""Every lesson script in examples/ runs end to end in its --quick mode and exits 0; its JSON
results have the tables the README shows, and the README's lesson tables are exactly what
examples/_readme_tables.py generates from the committed full-run results."""
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RESULTS = EXAMPLES / "results"
README = EXAMPLES.parent / "README.md"
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


def load_module(name: str):
    """A helper module of examples/ (not a package), imported by path."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_lesson(script: str, out: Path, *extra: str, blas_env: bool = True) -> str:
    """Run ``script --quick --out out`` and return what it printed. ``blas_env``: also limit
    the BLAS threads from the environment (the scripts fix them themselves in any case; the
    quick runs use small matrices, for which a multithreaded BLAS on a busy machine spends far
    longer synchronizing threads than computing)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    if blas_env:
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    else:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(name, None)
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out),
                           *extra], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def lesson_results(script: str, folder: Path) -> dict:
    with open(folder / script.replace(".py", ".json")) as f:
        return json.load(f)


def check_figures(script: str, out: Path) -> None:
    if HAS_MATPLOTLIB:
        for figure in LESSONS[script]:
            assert (out / figure).stat().st_size > 0, f"{script} did not write {figure}"


def check_results_format(script: str, out: Path) -> None:
    """The quick run's JSON has the tables of the committed full run (the ones the README
    shows), with the same columns: the README cannot name a table the script no longer prints."""
    quick = lesson_results(script, out)
    assert quick["meta"]["quick"] and quick["meta"]["threads"] == 1
    full_path = RESULTS / script.replace(".py", ".json")
    assert full_path.exists(), f"no full-run results for {script}: run make lessons"
    full = lesson_results(script, RESULTS)
    assert set(quick["tables"]) == set(full["tables"])
    for key, table in quick["tables"].items():
        assert len(table["header"]) == len(full["tables"][key]["header"]), key
        assert all(len(row) == len(table["header"]) for row in table["rows"]), key


# Lessons with a test of their own numbers below (which also runs them).
CHECKED_BELOW = {"quadratic.py", "optimizers.py", "regularization.py", "hparam_search.py"}


@pytest.mark.parametrize("script", sorted(set(LESSONS) - CHECKED_BELOW))
def test_lesson_runs_quick(script, tmp_path):
    if script in NEEDS_FASHION_MNIST and not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    output = run_lesson(script, tmp_path)
    assert "---" in output  # printed a table
    check_figures(script, tmp_path)
    check_results_format(script, tmp_path)


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
    check_results_format("quadratic.py", tmp_path)


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
    check_results_format("optimizers.py", tmp_path)


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


def test_regularization_reports_what_it_kept(tmp_path):
    """Early stopping's row shows the kept epoch's own validation accuracy (the model it returns),
    not the best one seen; subgradient L1 leaves no parameter exactly 0, the proximal step does."""
    if not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    run_lesson("regularization.py", tmp_path)
    check_figures("regularization.py", tmp_path)
    check_results_format("regularization.py", tmp_path)
    results = lesson_results("regularization.py", tmp_path)
    rows = {row[0]: row for row in results["tables"]["main"]["rows"]}
    header = results["tables"]["main"]["header"]
    stopping = next(name for name in rows if name.startswith("early stopping"))
    histories = results["data"]["histories"][stopping]
    kept = [int(e.split()[0]) for e in rows[stopping][header.index("weights of epoch")].split(", ")]
    kept_accuracy = [history[epoch - 1][3] for history, epoch in zip(histories, kept)]
    val_acc = rows[stopping][header.index("val acc")]
    show_spread = load_module("_lesson_utils").show_spread
    assert val_acc == show_spread(kept_accuracy)
    zeros = header.index("params = 0.0")
    subgradient = next(name for name in rows if name.startswith("L1") and "subgradient" in name)
    proximal = next(name for name in rows if name.startswith("L1") and "proximal" in name)
    assert rows[subgradient][zeros] == "0"
    assert int(rows[proximal][zeros].replace(",", "")) > 0


def test_lessons_fix_their_blas_threads(tmp_path):
    """Without any thread variable in the environment, a lesson runs its BLAS on one thread and
    prints the same tables twice (the hyperparameter search's trials train real networks)."""
    if not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    tables = []
    for run in ("first", "second"):
        run_lesson("hparam_search.py", tmp_path / run, "--seeds", "2", blas_env=False)
        results = lesson_results("hparam_search.py", tmp_path / run)
        pools = results["meta"]["thread_pools"]
        assert pools and all(pool["num_threads"] == 1 for pool in pools)
        tables.append(results["tables"])
    assert tables[0] == tables[1]
    check_figures("hparam_search.py", tmp_path / "first")
    check_results_format("hparam_search.py", tmp_path / "first")


def test_readme_lesson_tables_are_generated_from_the_results():
    """README.md's lesson blocks are what `python examples/_readme_tables.py` (`make lessons`)
    writes from examples/results/: full runs, each with its date and command."""
    generator = load_module("_readme_tables")
    readme = README.read_text()
    results = generator.load_results(str(RESULTS))
    assert generator.render(readme, results) == readme, "run: python examples/_readme_tables.py"
    blocks = generator.BLOCK.findall(readme)
    for script in LESSONS:
        lesson = script[:-len(".py")]
        assert lesson in results, f"examples/results/{lesson}.json is missing (make lessons)"
        meta = results[lesson]["meta"]
        assert not meta["quick"] and meta["threads"] == 1
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
        assert meta["command"].startswith(f"python examples/{script}")
        marked = [what for _, name, what, _, _ in blocks if name == lesson]
        assert "run" in marked, f"the README does not say when and how {lesson} was run"
        assert any(what.startswith("table:") for what in marked), f"no table of {lesson}"


def test_readme_tables_script_renders_and_checks(tmp_path):
    """The generator replaces only what lies between the markers, and --check says so."""
    generator = load_module("_readme_tables")
    results = {"demo": {"meta": {"quick": False, "date": "2026-01-02", "command": "python x.py",
                                 "seeds": [0, 1, 2], "threads": 1, "seconds": 12.0},
                        "tables": {"t": {"title": "", "header": ["a", "|b|"],
                                         "rows": [["1", "2"]]}},
                        "conclusions": ["A is larger."]}}
    readme = ("intro\n<!-- lesson: demo run -->\nold\n<!-- /lesson -->\ntext\n"
              "<!-- lesson: demo table:t -->\n<!-- /lesson -->\n"
              "<!-- lesson: demo conclusions -->\nstale\n<!-- /lesson -->\nend\n")
    assert generator.render(readme, results) == (
        "intro\n<!-- lesson: demo run -->\nMeasured on 2026-01-02 with `python x.py` "
        "(seeds 0, 1, 2, 1 BLAS thread, 12 s).\n<!-- /lesson -->\ntext\n"
        "<!-- lesson: demo table:t -->\n| a | \\|b\\| |\n| --- | --- |\n| 1 | 2 |\n"
        "<!-- /lesson -->\n<!-- lesson: demo conclusions -->\n- A is larger.\n<!-- /lesson -->"
        "\nend\n")
    with pytest.raises(KeyError):
        generator.render("<!-- lesson: demo table:nope -->\n<!-- /lesson -->", results)
    results["demo"]["meta"]["quick"] = True
    with pytest.raises(ValueError):
        generator.render(readme, results)
    (tmp_path / "results").mkdir()
    (tmp_path / "README.md").write_text(readme)
    results["demo"]["meta"]["quick"] = False
    (tmp_path / "results" / "demo.json").write_text(json.dumps(results["demo"]))
    command = [sys.executable, str(EXAMPLES / "_readme_tables.py"), "--results",
               str(tmp_path / "results"), "--readme", str(tmp_path / "README.md")]
    assert subprocess.run(command + ["--check"], capture_output=True).returncode == 1
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert subprocess.run(command + ["--check"], capture_output=True).returncode == 0
