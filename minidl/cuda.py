"""``minidl.cuda``: PyTorch's ``torch.cuda`` questions (is there a GPU? how many?), answered by
``minidl/backend.py``, the one file that knows about CuPy.

    device = "cuda" if minidl.cuda.is_available() else "cpu"

``is_available()`` is False, not an error, where CuPy or a GPU driver is missing.

Read next: ``minidl/accelerator.py`` (``minidl.accelerator``: the same, for any accelerator).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend, random_streams


def is_available() -> bool:
    """Whether minidl can compute on a CUDA GPU here (CuPy installed and a GPU found)."""
    return backend.device_count("cuda") > 0


def device_count() -> int:
    return backend.device_count("cuda")


def current_device() -> int:
    """The index of the GPU that ``"cuda"`` means: 0 (minidl has no device switching)."""
    return 0


def synchronize(device: Optional[str] = None) -> None:
    """Wait for the GPU's queued work to finish (before reading a clock, for example)."""
    backend.synchronize(device or "cuda")


def manual_seed(seed: int) -> None:
    """Seed the random generators of every GPU (nothing to do without one), leaving the
    CPU's alone; ``minidl.manual_seed`` seeds every device."""
    for index in range(device_count()):
        random_streams.default_generator(f"cuda:{index}").manual_seed(seed)


manual_seed_all = manual_seed  # minidl seeds every GPU either way
