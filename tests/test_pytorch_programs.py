"""PyTorch programs run on minidl with only their imports changed (issue 16).

``tests/pytorch_programs/`` holds PyTorch tutorial programs and pytorch/examples scripts as
PyTorch users write them (``import torch``, ``from torch import nn``, ...), with their random
numbers replaced by deterministic ones so that two frameworks can give the same numbers. Each
is run here twice: as written, with PyTorch (when installed), and with its import lines
changed to minidl's (``import minidl as torch``, ``from minidl import nn``,
``from minidl.utils.data import ...``). Both print; the outputs must agree line by line: the
same words, and numbers equal to float32 precision. What may differ, and is normalized before
comparing: ``torch.`` is ``minidl.``, a dtype prints as NumPy names it (``float32`` where
PyTorch writes ``torch.float32``), object addresses, and the names of graph nodes
(``grad_fn=<AddmmBackward0>`` in PyTorch, which fuses ``x @ W.T + b`` under another name than
minidl's ``Linear``).

Without PyTorch the programs still run on minidl, to the end.
"""
import contextlib
import io
import math
import pathlib
import re

import pytest

PROGRAMS = sorted((pathlib.Path(__file__).parent / "pytorch_programs").glob("*.py"))


def minidl_imports(source: str) -> str:
    """The program with its import lines, and only those, changed from torch to minidl."""
    lines = []
    for line in source.splitlines():
        if line == "import torch":
            line = "import minidl as torch"
        elif line.startswith(("import torch.", "from torch")):
            line = re.sub(r"^(import|from) torch\b", r"\1 minidl", line)
        lines.append(line)
    return "\n".join(lines)


def run(source: str, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    return out.getvalue()


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)")


def normalized(text: str) -> str:
    text = re.sub(r" object at 0x[0-9a-f]+", "", text)
    text = text.replace("torch.", "minidl.")
    text = re.sub(r"minidl\.((?:u?int|float|bool|complex)\d*)\b", r"\1", text)
    text = re.sub(r"grad_fn=<\w+>", "grad_fn=<...>", text)
    text = re.sub(r"<\w+Backward\d*>", "<...Backward>", text)
    return re.sub(r"\s+", " ", text)  # (a number printed wider may wrap a line elsewhere)


def assert_same_output(ours: str, theirs: str) -> None:
    """The same text between the numbers; numbers within float32 rounding of each other."""
    ours, theirs = normalized(ours), normalized(theirs)
    words_ours, words_theirs = NUMBER.split(ours), NUMBER.split(theirs)
    assert [w.strip() for w in words_ours] == [w.strip() for w in words_theirs], \
        f"the texts differ:\nminidl:  {ours}\nPyTorch: {theirs}"
    for a, b in zip(NUMBER.findall(ours), NUMBER.findall(theirs)):
        x, y = float(a), float(b)
        assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=2e-3,
                                                                 abs_tol=1e-5), \
            f"{a} (minidl) != {b} (PyTorch) in:\n{ours}"


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_the_program_runs_on_minidl_with_its_imports_changed(path):
    source = path.read_text()
    changed = minidl_imports(source)
    assert "torch" not in "\n".join(line for line in changed.splitlines()
                                    if line.startswith(("import ", "from "))
                                    and "as torch" not in line)
    ours = run(changed, path.name)
    assert ours.strip()
    torch = pytest.importorskip("torch")
    torch.set_printoptions(profile="default")
    # One thread: these programs run many small ops, for which PyTorch's thread pool only adds
    # waiting (minutes instead of a second on a busy machine).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        theirs = run(source, path.name)
    finally:
        torch.set_num_threads(threads)
    assert_same_output(ours, theirs)


def test_the_comparison_notices_a_difference():
    assert_same_output("loss: 0.250000 tensor([1., 2.])", "loss: 0.250001 tensor([1., 2.])")
    with pytest.raises(AssertionError):
        assert_same_output("loss: 0.25", "loss: 0.26")
    with pytest.raises(AssertionError):
        assert_same_output("tensor([1., 2.])", "tensor([1., 2.], dtype=torch.float64)")
