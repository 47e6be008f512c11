"""Keeping freed memory for reuse: a process-wide setting of glibc's malloc that makes large
models train faster on Linux.

Every op of a training step allocates its output, and backward allocates every gradient: a GPT
step at width 128 makes hundreds of arrays of 1 to 4 MB and frees them a moment later. glibc
serves a block that large with a fresh ``mmap`` of zeroed pages and hands it back to the
kernel on ``free``, so every new array page-faults its way into memory again, one 4 KB page at
a time: in a NumPy training step most of the time spent outside matrix products goes there,
not into arithmetic. (glibc raises that limit by itself after the first frees, but only to the
size of the largest block freed so far, and returns heap tops above twice the limit.)

``keep_freed_memory()`` sets both limits (``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``) once for
the whole process, as ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` would in the
environment: freed blocks then stay in the process and the next allocation of a similar size
reuses pages that are already mapped. The cost: memory freed by a step is not given back to the
system until the process ends, so the resident size stays near its peak. It changes how
memory is obtained, never what is computed; PyTorch running in the same process uses the same
malloc and gains too. Measurements are in the README (Performance, sequence models).

Read next: ``minidl/optim/optimizer.py`` (training: the optimizers).
"""
from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MAX_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc caps M_MMAP_THRESHOLD at 32 MiB on 64-bit


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
