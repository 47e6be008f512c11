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
    "initialization.py": ["initialization.png"],
    "gradients.py": ["gradients.png"],
    "hessian.py": ["hessian.png"],
    "batch_size.py": ["batch_size.png"],
    "kfold.py": ["kfold.png"],
    "losses.py": ["losses.png"],
    "adaptive.py": ["adaptive.png"],
    "batchnorm_effects.py": ["batchnorm_effects.png"],
}
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
# Lessons that train on Fashion-MNIST read it from the Debian package `dataset-fashion-mnist`
# (.ci/run installs it); tests never download. Without it they cannot run at all.
NEEDS_FASHION_MNIST = set(LESSONS) - {"saddle_point.py", "quadratic.py", "hessian.py"}
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


def _kinds(header: list) -> list:
    """Column titles with their numbers replaced by N."""
    return [re.sub(r"\d+(\.\d+)?", "N", str(title)) for title in header]


def check_results_format(script: str, out: Path) -> None:
    """The quick run's JSON has the tables of the committed full run (the ones the README
    shows), with the same kind of columns: the README cannot show a table the script no longer
    prints. (A quick run may try fewer values: fewer "lr ..." columns, never other ones.)"""
    quick = lesson_results(script, out)
    assert quick["meta"]["quick"] and quick["meta"]["threads"] == 1
    full_path = RESULTS / script.replace(".py", ".json")
    assert full_path.exists(), f"no full-run results for {script}: run make lessons"
    full = lesson_results(script, RESULTS)
    assert set(quick["tables"]) == set(full["tables"])
    for key, table in quick["tables"].items():
        # Compared as kinds of column: a header may state a count the quick run makes smaller
        # ("20 SGD steps" in full, "16 SGD steps" quick).
        header, full_header = _kinds(table["header"]), _kinds(full["tables"][key]["header"])
        assert header[0] == full_header[0], key
        assert set(header) <= set(full_header), (key, header, full_header)
        assert all(len(row) == len(table["header"]) for row in table["rows"]), key


# Lessons with a test of their own numbers below (which also runs them).
CHECKED_BELOW = {"quadratic.py", "optimizers.py", "regularization.py", "hparam_search.py"}


def rows_of(results: dict, key: str) -> dict:
    """A table of a lesson's JSON results as {first cell: {column name: cell}}."""
    table = results["tables"][key]
    return {row[0]: dict(zip(table["header"], row)) for row in table["rows"]}


def number(cell: str) -> float:
    """The leading number of a cell such as '0.812 ± 0.004' or '43,865'."""
    return float(cell.split()[0].replace(",", ""))


def check_hessian(results):
    """The notes' slip reproduces their "local maximum"; exact Hessians say minimum-shaped but
    not critical; the Hessian-vector-product estimates agree with the full matrix."""
    notes = rows_of(results, "notes")
    assert notes["the notes' code (h = 1e-5)"]["eigenvalue signs say"] == "local maximum"
    assert notes["exact: analysis.hessian"]["H"] == "[26620, -4; -4, 4]"
    kinds = [row["classify_critical_point"] for row in rows_of(results, "critical").values()]
    assert kinds == ["not a critical point", "saddle point", "local minimum"]
    for row in results["tables"]["network"]["rows"]:
        _, _, _, largest, power, lanczos_largest, smallest, lanczos_smallest, n_neg, n_ritz = row
        assert float(power) == pytest.approx(float(largest), rel=1e-3)
        assert float(lanczos_largest) == pytest.approx(float(largest), rel=1e-3)
        assert float(smallest) <= float(lanczos_smallest) + 1e-9
        assert 0 < int(n_ritz) <= int(n_neg)  # interlacing: a lower bound


def check_batch_size(results):
    """Accumulated micro-batches equal the large batch to rounding, except with BatchNorm."""
    gaps = {(r[0], r[1]): float(r[2]) for r in results["tables"]["accumulation"]["rows"]}
    assert gaps["float64", "none"] < 1e-12 and gaps["float32", "none"] < 1e-5
    assert gaps["float64", "BatchNorm"] > 1e-4
    memory = [float(r[1]) for r in results["tables"]["memory"]["rows"]]
    assert memory[-1] > 2 * memory[0]


def check_batchnorm_effects(results):
    """The bias before BatchNorm gets no gradient; dropout feeding a BatchNorm shifts its input
    variance between training and evaluation, dropout after the last one does not."""
    bias = rows_of(results, "bias")
    assert float(bias["largest |gradient| of the bias"]["value"]) < 1e-5
    assert float(bias["largest change of the bias"]["value"]) < 1e-6
    rows = rows_of(results, "combinations")
    column = "last BN's input variance, dropout off / on"
    assert rows["BatchNorm + dropout after the last BatchNorm only"][column] == "1.000 ± 0.000"
    assert number(rows["BatchNorm + dropout before the next BatchNorm"][column]) < 0.9


def check_initialization(results):
    rows = rows_of(results, "symmetry")
    layer_1, layer_2 = "distinct units, layer 1 (of 64)", "layer 2 (of 64)"
    assert rows["all zeros"][layer_1] == "1" and rows["all zeros"]["max |w| layer 1 after"] == "0"
    assert rows["all 0.01"][layer_1] == "1" and rows["all 0.01"][layer_2] == "1"
    assert rows["random (PyTorch default)"][layer_1] == "64"


def check_gradients(results):
    profile = rows_of(results, "profile")
    assert float(profile["sigmoid"]["layer 10 / layer 1"]) > 1e3
    clipping = rows_of(results, "clipping")
    seeds = len(results["meta"]["seeds"])
    assert clipping["no clipping"]["diverged (NaN)"] == f"{seeds} of {seeds}"
    assert clipping["clip_grad_norm_(max_norm=1)"]["diverged (NaN)"] == f"0 of {seeds}"


def check_losses(results):
    rows = rows_of(results, "regression")
    intercept = "intercept b (true 1)"
    assert number(rows["MSE"][intercept]) > number(rows["MAE (L1)"][intercept]) + 1
    classification = rows_of(results, "classification")
    share = "share of training examples with loss 0"
    assert number(classification["cross-entropy"][share]) == 0
    assert number(classification["hinge (multi_margin_loss)"][share]) > 0


def check_adaptive(results):
    """RMSProp's first step is lr / sqrt(1 - alpha): 3.16 lr at 0.9, 10 lr at 0.99."""
    rows = rows_of(results, "first-steps")
    assert rows["notes: gamma 0.9, lr 1e-3"]["step 1"].endswith("(3.16 lr)")
    assert rows["PyTorch: alpha 0.99, lr 1e-2"]["step 1"] == "0.1 (10 lr)"


CHECKS = {"hessian.py": check_hessian, "batch_size.py": check_batch_size,
          "batchnorm_effects.py": check_batchnorm_effects,
          "initialization.py": check_initialization, "gradients.py": check_gradients,
          "losses.py": check_losses, "adaptive.py": check_adaptive}


@pytest.mark.parametrize("script", sorted(set(LESSONS) - CHECKED_BELOW))
def test_lesson_runs_quick(script, tmp_path):
    if script in NEEDS_FASHION_MNIST and not HAS_FASHION_MNIST:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    output = run_lesson(script, tmp_path)
    assert "---" in output  # printed a table
    check_figures(script, tmp_path)
    check_results_format(script, tmp_path)
    if script in CHECKS:
        CHECKS[script](lesson_results(script, tmp_path))


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
