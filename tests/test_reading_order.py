"""The reading order in ``minidl/__init__.py``'s docstring is the one the modules follow.

It lists every module of the package once, and each listed module's docstring ends with a
"Read next:" whose first file named is the module after it, so a learner who follows "Read
next" from ``minidl/tensor.py`` reads the whole package, in the listed order, without loops.

Read next: ``tests/test_ops_gradcheck.py``.
"""
import ast
import re
from pathlib import Path

import pytest

import minidl

ROOT = Path(minidl.__file__).parent.parent  # the repository
ENTRY = re.compile(r"^\s*\d+\.\s+(minidl/\S+\.py)\b", re.M)
NAMED_FILE = re.compile(r"``([\w./]+\.py)``")


def reading_order() -> list:
    return ENTRY.findall(minidl.__doc__)


def read_next(path: str) -> str:
    """The first file named after "Read next:" in the module's docstring, as a repository path
    (names without a directory are relative to the module's own directory)."""
    doc = ast.get_docstring(ast.parse((ROOT / path).read_text())) or ""
    _, found, after = doc.rpartition("Read next:")
    assert found, f"{path}: its docstring has no 'Read next:'"
    name = NAMED_FILE.search(after)
    assert name, f"{path}: 'Read next:' names no file in ``double backquotes``"
    name = name.group(1)
    if "/" in name and name.split("/")[0] in ("minidl", "examples", "tests", "docs"):
        return name
    return str((Path(path).parent / name).as_posix())


def test_the_order_lists_every_module_once():
    order = reading_order()
    modules = sorted(str(p.relative_to(ROOT).as_posix()) for p in (ROOT / "minidl").rglob("*.py")
                     if p.name != "__init__.py")
    assert len(order) == len(set(order)), "a module is listed twice"
    assert sorted(order) == modules, (
        f"not listed: {sorted(set(modules) - set(order))}; "
        f"listed but missing: {sorted(set(order) - set(modules))}")


@pytest.mark.parametrize("index", range(len(reading_order()) - 1),
                         ids=lambda i: reading_order()[i])
def test_read_next_names_the_next_module(index):
    order = reading_order()
    assert read_next(order[index]) == order[index + 1]


def test_the_last_module_points_outside_the_package():
    """The chain ends: the last module sends the reader to an example, not back into minidl."""
    last = reading_order()[-1]
    assert not read_next(last).startswith("minidl/")


def test_the_walk_from_tensor_reaches_every_module():
    order = reading_order()
    seen, path = [], order[0]
    while path.startswith("minidl/") and path not in seen:
        seen.append(path)
        path = read_next(path)
    assert seen == order
