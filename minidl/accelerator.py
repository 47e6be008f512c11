"""``minidl.accelerator``: PyTorch's device-neutral questions about the machine's accelerator
(``torch.accelerator``). minidl's only accelerator is a CUDA GPU, through CuPy:

    device = minidl.accelerator.current_accelerator() if minidl.accelerator.is_available() \\
        else minidl.device("cpu")

Read next: ``minidl/backends/mps.py`` (``minidl.backends``: Apple's GPUs, and cuDNN's flags).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend, cuda


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def current_accelerator(check_available: bool = False) -> Optional[backend.Device]:
    """``minidl.device("cuda")`` where a GPU is available, else None (as in PyTorch, which
    also names the accelerator it was built for when ``check_available`` is False; minidl
    knows only whether one is there)."""
    return backend.Device("cuda") if is_available() else None


def current_device_index() -> int:
    return cuda.current_device()


def synchronize(device: Optional[str] = None) -> None:
    cuda.synchronize(device)
