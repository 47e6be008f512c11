"""examples/char_gpt.py runs end to end in its --quick mode, and resumes exactly.

The GPT trains on Debian's word list (the ``wamerican`` package, which .ci/run installs; the
test skips without it). The LSTM trains on a text the test writes, is stopped half-way
(``--stop-at``) and resumed: its losses and its sampled text must be those of the run that
was never stopped (the carried state, the stream position, the optimizer, the schedule and
the random streams all come back).

Read next: ``tests/test_examples.py``.
"""
import ast
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "char_gpt.py"
WORDS = Path("/usr/share/dict/american-english")
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")


def run(*args):
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", *map(str, args)],
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, f"char_gpt.py failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def without_times(output: str):
    """The lines after the data summary, minus the elapsed seconds at their ends."""
    return [line.rsplit(", ", 1)[0] if line.endswith(" s") else line
            for line in output.splitlines() if line.startswith(("step ", "sample after"))]


@pytest.mark.skipif(not WORDS.exists(), reason="the word list is not installed "
                    "(apt-get install wamerican)")
def test_quick_gpt_run_learns_from_the_word_list_and_writes(tmp_path):
    output = run("--out", tmp_path)
    assert "vocabulary of 27; gpt, 12 steps" in output  # a-z and the newline
    losses = [float(line.split("val loss ")[1].split(",")[0])
              for line in output.splitlines() if line.startswith("step ")]
    assert len(losses) == 2 and all(abs(v - math.log(27)) < 0.3 for v in losses)
    assert losses[1] < losses[0]
    sample = ast.literal_eval(output.split("sample after training: ")[1].strip())
    assert len(sample) == 300 and set(sample) <= set("abcdefghijklmnopqrstuvwxyz\n")
    assert (tmp_path / "checkpoint.safetensors").exists()
    assert (tmp_path / "metrics.json").exists()


def test_lstm_resumes_exactly_where_it_stopped(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 200, encoding="utf-8")
    straight = run("--model", "lstm", "--text", text, "--out", tmp_path / "straight")
    run("--model", "lstm", "--text", text, "--out", tmp_path / "stopped", "--stop-at", 6)
    resumed = run("--model", "lstm", "--text", text, "--out", tmp_path / "stopped",
                  "--resume")
    assert "resumed from" in resumed
    assert without_times(resumed) == without_times(straight)[1:]  # from step 12 on
