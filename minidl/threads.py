"""How many threads minidl's matrix products use: ``set_num_threads``, ``get_num_threads`` and
``limit_threads`` (a block with another count), as ``torch.set_num_threads`` and
``torch.get_num_threads``.

On the CPU every matrix product (Linear, conv2d's im2col product, attention) runs in the BLAS
that NumPy loaded (OpenBLAS in NumPy's wheels). OpenBLAS sizes its thread pool when it loads,
from ``OPENBLAS_NUM_THREADS`` or the number of cores, so an environment variable set after
``import numpy`` does nothing; threadpoolctl (a small, well-kept library: ``pip install
threadpoolctl``, in minidl's ``train`` and ``bench`` extras) changes the pool at run time.

Why minidl starts with one BLAS thread (``DEFAULT_THREADS``): OpenBLAS splits a product among
its threads and waits for all of them, and a thread that has no work spins on its core for a
while (its ``thread_timeout``, about 2^28 cycles, a tenth of a second) before it sleeps. On a
quiet machine the spinning costs nothing. On a machine where other work holds the cores, the
spinning worker competes with minidl's own Python thread between products, and each product
waits for whichever of its halves the scheduler ran last: the README's Performance section
measures the collapse and this default (``python benchmarks/busy_machine.py``). One thread
gives up the split of large products on a quiet machine, which the same measurements show to
be small at the sizes minidl's examples use; ``set_num_threads(n)`` takes it back.

The default is applied when minidl is imported, unless the user chose: ``MINIDL_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` set in the environment, or a
``set_num_threads`` call, always win. Without threadpoolctl nothing is changed, and
``set_num_threads`` raises ``MissingDependencyError`` saying what to install.

Read next: ``minidl/allocator.py`` (keeping freed memory for reuse).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, List

from minidl.config_checks import check_positive_int
from minidl.errors import ConfigError
from minidl.serialization import MissingDependencyError

DEFAULT_THREADS = 1
USER_SETTINGS = ("MINIDL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def _blas_pools(strict: bool) -> List:
    """threadpoolctl's controllers of the BLAS libraries loaded in this process (NumPy's), or,
    without threadpoolctl, [] (``strict``: raise saying what to install)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        if strict:
            raise MissingDependencyError(
                "set_num_threads: changing the BLAS thread pool at run time needs "
                "threadpoolctl (pip install threadpoolctl, or minidl's [train] extra)") from None
        return []
    return ThreadpoolController().select(user_api="blas").lib_controllers


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads in every matrix product from now on (all BLAS pools that
    NumPy loaded); PyTorch's ``torch.set_num_threads``."""
    check_positive_int("set_num_threads", "num_threads", num_threads)
    for pool in _blas_pools(strict=True):
        pool.set_num_threads(num_threads)


def get_num_threads() -> int:
    """The threads a matrix product uses now (the largest BLAS pool; the number of usable
    cores when it cannot be read)."""
    sizes = [pool.get_num_threads() for pool in _blas_pools(strict=False)]
    sizes = [n for n in sizes if n]
    return max(sizes) if sizes else len(os.sched_getaffinity(0))


@contextmanager
def limit_threads(num_threads: int) -> Iterator[None]:
    """``with minidl.limit_threads(2): ...`` runs the block with ``num_threads`` BLAS threads and
    restores the previous count after it, also when the block raises."""
    check_positive_int("limit_threads", "num_threads", num_threads)
    pools = _blas_pools(strict=True)
    before = [pool.get_num_threads() for pool in pools]
    for pool in pools:
        pool.set_num_threads(num_threads)
    try:
        yield
    finally:
        for pool, count in zip(pools, before):
            pool.set_num_threads(count)


def apply_default() -> None:
    """At import: ``DEFAULT_THREADS`` (or ``MINIDL_NUM_THREADS``), unless the environment
    already sizes the BLAS pool."""
    chosen = os.environ.get("MINIDL_NUM_THREADS")
    if chosen is None and any(os.environ.get(name) for name in USER_SETTINGS[1:]):
        return  # the user sized the pool before NumPy loaded: keep it
    try:
        count = int(chosen) if chosen is not None else DEFAULT_THREADS
        check_positive_int("MINIDL_NUM_THREADS", "num_threads", count)
    except (ValueError, ConfigError):
        raise ConfigError(f"MINIDL_NUM_THREADS must be a positive integer (the BLAS threads "
                          f"minidl uses), got {chosen!r}") from None
    for pool in _blas_pools(strict=False):
        pool.set_num_threads(count)
