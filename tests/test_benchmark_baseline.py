"""busy_machine.py's ``--baseline REV``: minidl as it was at a git revision, run beside today's.

The benchmark itself needs PyTorch and minutes of quiet; these tests check only the part that
can go wrong silently: that the baseline's workers really import the old package (not the
installed one) and that a revision git does not know stops the run with git's message.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import busy_machine  # noqa: E402

in_a_git_checkout = pytest.mark.skipif(
    subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True).returncode != 0,
    reason="needs a git checkout of minidl (the baseline is read from its history)")


@in_a_git_checkout
def test_the_baseline_contender_imports_the_package_of_that_revision(tmp_path):
    busy_machine.extract_revision("HEAD", str(tmp_path))
    assert (tmp_path / "minidl" / "__init__.py").is_file()
    named = busy_machine.contenders(2, ("HEAD", str(tmp_path)))
    assert list(named) == ["minidl", "minidl, 1 thread", "minidl, 2 threads", "minidl at HEAD",
                           "PyTorch"]
    env = {**os.environ, **named["minidl at HEAD"]}
    out = subprocess.run([sys.executable, "-c", "import minidl; print(minidl.__file__)"],
                         env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(tmp_path))


@in_a_git_checkout
def test_an_unknown_revision_stops_the_run_saying_so(tmp_path):
    with pytest.raises(SystemExit, match="--baseline no-such-revision: git archive failed"):
        busy_machine.extract_revision("no-such-revision", str(tmp_path))
    assert not (tmp_path / "minidl").exists()


def test_the_report_adds_the_ratio_to_the_baseline(capsys):
    row = {"minidl": 6.0, "minidl, 1 thread": 8.0, "minidl at abc": 12.0, "PyTorch": 4.0}
    busy_machine.report({("mlp", "quiet"): row})
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.split()[-2:] == ["1.50x", "0.50x"]
