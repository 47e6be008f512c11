"""The README's Python examples run as written, in order, as a reader would run them.

The blocks share one namespace (later sections use the model and loader of earlier ones) and
run in a temporary directory. The data section loads Fashion-MNIST: a tiny generated copy is put
where minidl looks first (``$MINIDL_DATA``), with its checksums in place of the real ones, so
this needs neither network nor the Debian package.
"""
import gzip
import hashlib
import pathlib
import re

import numpy as np

from minidl.data.datasets import Checksums, FashionMNIST
from minidl.data.datasets.idx import encode_idx

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def _tiny_fashion_mnist(directory: pathlib.Path) -> dict:
    """Write a small Fashion-MNIST look-alike; return its checksums, by file name."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True)
    checksums = {}
    for split, n in (("train", 96), ("t10k", 32)):
        arrays = {"images-idx3": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
                  "labels-idx1": (np.arange(n) % 10).astype(np.uint8)}
        for kind, array in arrays.items():
            name = f"{split}-{kind}-ubyte.gz"
            content = gzip.compress(encode_idx(array))
            (directory / name).write_bytes(content)
            checksums[name] = Checksums(gz=hashlib.sha256(content).hexdigest())
    return checksums


def test_readme_blocks_run_in_order(tmp_path, monkeypatch, capsys):
    assert len(BLOCKS) >= 8
    checksums = _tiny_fashion_mnist(tmp_path / "data" / "fashion-mnist")
    monkeypatch.setattr(FashionMNIST, "resources", checksums)
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace = {"__name__": "readme"}
    for index, block in enumerate(BLOCKS):
        try:
            exec(compile(block, f"README.md python block {index}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"README python block {index} failed: {exc!r}\n{block}") from exc
