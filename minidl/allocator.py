"""Keeping freed memory for reuse: a process-wide setting of glibc's malloc that makes training
faster on Linux, applied when minidl is imported.

Every op of a training step allocates its output, and backward allocates every gradient: an MLP
step at batch 128 makes arrays of 0.1 to 1.6 MB, a GPT step at width 128 hundreds of 1 to 4 MB,
and frees them a moment later. glibc serves a block that large with a fresh ``mmap`` of zeroed
pages and hands it back to the kernel on ``free``, so every new array page-faults its way into
memory again, one 4 KB page at a time: in a NumPy training step much of the time spent outside
matrix products goes there, not into arithmetic. (glibc raises that limit by itself after the
first frees, but only to the size of the largest block freed so far, and returns heap tops
above twice the limit.)

``keep_freed_memory()`` sets both limits (``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``) once for
the whole process, as ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` would in the
environment: freed blocks then stay in the process and the next allocation of a similar size
reuses pages that are already mapped. It changes how memory is obtained, never what is
computed; other libraries in the process (PyTorch too) use the same malloc and gain as well.
Measured in a fresh process per run (``benchmarks/busy_machine.py``'s worker): the MLP step
8.3 -> 6.0 ms, the CNN step 115 -> 86-101 ms.

The cost: memory freed by a step is not given back to the system until the process ends, so the
resident size stays near its peak (which it reaches in the first steps anyway). A GPU's caching
allocator (CuPy's memory pool, PyTorch's) makes the same trade. ``apply_default()`` does it at
import unless ``MINIDL_KEEP_FREED_MEMORY=0``, or glibc's own variables, are set.

Read next: ``minidl/optim/optimizer.py`` (training: the optimizers).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MAX_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc caps M_MMAP_THRESHOLD at 32 MiB on 64-bit
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")  # glibc's own


def apply_default() -> bool:
    """At import: ``keep_freed_memory()``, unless ``MINIDL_KEEP_FREED_MEMORY`` is 0 (or false,
    no, off) or the user tuned glibc's malloc in the environment. Returns whether it was set."""
    choice = os.environ.get("MINIDL_KEEP_FREED_MEMORY", "1").strip().lower()
    if choice in ("0", "false", "no", "off") or any(os.environ.get(v) for v in USER_SETTINGS):
        return False
    return keep_freed_memory()


def keep_freed_memory(limit: int = _MAX_MMAP_THRESHOLD) -> bool:
    """Serve blocks smaller than ``limit`` bytes from the heap and keep freed memory in the
    process for reuse (see the module docstring). Returns True when glibc's ``mallopt``
    accepted both settings, False on other C libraries (macOS, musl, Windows), where nothing
    changes."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= \
            _MAX_MMAP_THRESHOLD:
        raise ValueError(f"keep_freed_memory: limit must be an integer in (0, "
                         f"{_MAX_MMAP_THRESHOLD}] bytes, got {limit!r}")
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):  # no C library by that name, or no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # Trim only above 4x the limit: a freed top of the heap below that stays for reuse.
    return bool(mallopt(_M_MMAP_THRESHOLD, limit)) and bool(mallopt(_M_TRIM_THRESHOLD,
                                                                   4 * limit))
