"""How many threads minidl's matrix products use: ``set_num_threads``, ``get_num_threads`` and
``limit_threads`` (a block with another count), as ``torch.set_num_threads`` and
``torch.get_num_threads``; by default, a count that follows the machine's load.

On the CPU every matrix product (Linear, conv2d's im2col product, attention) runs in the BLAS
that NumPy loaded (OpenBLAS in NumPy's wheels). OpenBLAS sizes its thread pool when it loads,
from ``OPENBLAS_NUM_THREADS`` or the number of cores, so an environment variable set after
``import numpy`` does nothing; threadpoolctl (a small, well-kept library: ``pip install
threadpoolctl``, in minidl's ``train`` and ``bench`` extras) changes the pool at run time.

Why not simply every core, as PyTorch: OpenBLAS splits a product among its threads and waits
for all of them, and a thread that has no work spins on its core for a while (its
``thread_timeout``, about 2^28 cycles, a tenth of a second) before it sleeps. On a quiet
machine that costs nothing and the split pays. On a machine where other work holds the cores,
the spinning worker competes with minidl's own Python thread between products, and each
product waits for whichever of its halves the scheduler ran last: a step becomes several
times slower than with one thread (the README's Performance section measures it, ``python
benchmarks/busy_machine.py``). So minidl starts with one thread and, while nobody chose a
count, ``adaptive_threads.py`` re-decides it from the load as training runs: every core while
the machine is otherwise idle, fewer while other work is busy (``adaptive()`` turns this back
on after a fixed count).

The user's choice always wins: ``MINIDL_NUM_THREADS`` (a count, or ``adaptive``),
``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` set in the environment, or a
``set_num_threads`` call, fix the count. Without threadpoolctl nothing is changed, and
``set_num_threads`` raises ``MissingDependencyError`` saying what to install.

Read next: ``minidl/adaptive_threads.py`` (following the machine's load).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, List

from minidl.adaptive_threads import LoadWatcher, usable_cpus
from minidl.config_checks import check_positive_int
from minidl.errors import ConfigError
from minidl.serialization import MissingDependencyError

USER_SETTINGS = ("MINIDL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


class _Adaptive:
    """The state of the adaptive count: a LoadWatcher while it is on (None while a count is
    fixed), the BLAS pools it sizes, and the count it last gave them."""
    watcher = None
    pools: List = []
    count = 0


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
    _Adaptive.watcher = None  # the user chose


def adaptive() -> bool:
    """Let minidl choose the count from the machine's load again (the default, see
    ``adaptive_threads.py``): start with one thread and re-decide as backward passes run.
    Returns False, changing nothing, without threadpoolctl or with a single usable core."""
    pools = _blas_pools(strict=False)
    if not pools or len(usable_cpus()) < 2:
        return False
    for pool in pools:
        pool.set_num_threads(1)
    _Adaptive.pools, _Adaptive.count, _Adaptive.watcher = pools, 1, LoadWatcher()
    return True


def is_adaptive() -> bool:
    """Whether minidl is choosing the count from the load now."""
    return _Adaptive.watcher is not None


def adapt() -> None:
    """Called as a backward pass starts: resize the pool if the load says so (cheap when it is
    not time to look again, or when the count is fixed)."""
    watcher = _Adaptive.watcher
    if watcher is None:
        return
    count = watcher.advice()
    if count is not None and count != _Adaptive.count:
        for pool in _Adaptive.pools:
            pool.set_num_threads(count)
        _Adaptive.count = count


def get_num_threads() -> int:
    """The threads a matrix product uses now (the largest BLAS pool; the number of usable
    cores when it cannot be read)."""
    sizes = [pool.get_num_threads() for pool in _blas_pools(strict=False)]
    sizes = [n for n in sizes if n]
    return max(sizes) if sizes else len(usable_cpus())


@contextmanager
def limit_threads(num_threads: int) -> Iterator[None]:
    """``with minidl.limit_threads(2): ...`` runs the block with ``num_threads`` BLAS threads and
    restores the previous count after it, also when the block raises."""
    check_positive_int("limit_threads", "num_threads", num_threads)
    pools = _blas_pools(strict=True)
    before = [pool.get_num_threads() for pool in pools]
    watcher, _Adaptive.watcher = _Adaptive.watcher, None  # no adapting inside the block
    for pool in pools:
        pool.set_num_threads(num_threads)
    try:
        yield
    finally:
        for pool, count in zip(pools, before):
            pool.set_num_threads(count)
        _Adaptive.watcher = watcher


def apply_default() -> None:
    """At import: the adaptive count (or ``MINIDL_NUM_THREADS``), unless the environment
    already sizes the BLAS pool."""
    chosen = os.environ.get("MINIDL_NUM_THREADS")
    if chosen is None and any(os.environ.get(name) for name in USER_SETTINGS[1:]):
        return  # the user sized the pool before NumPy loaded: keep it
    if chosen is None or chosen.strip().lower() == "adaptive":
        adaptive()
        return
    try:
        count = int(chosen)
        check_positive_int("MINIDL_NUM_THREADS", "num_threads", count)
    except (ValueError, ConfigError):
        raise ConfigError(f"MINIDL_NUM_THREADS must be a positive integer (the BLAS threads "
                          f"minidl uses) or 'adaptive', got {chosen!r}") from None
    for pool in _blas_pools(strict=False):
        pool.set_num_threads(count)
