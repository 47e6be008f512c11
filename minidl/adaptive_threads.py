"""minidl's default thread count: every core while the machine is otherwise idle, one thread
while other work holds the cores, re-decided as the load changes.

Why adapt: a second BLAS thread makes a training step 1.2x to 1.4x faster on an idle 2-core
machine, and 1.6x to 5x slower when two other processes keep the cores busy (the README's
"Threads, and a machine that is busy" measures both). No fixed count is right for both, and
a notebook or a test runner does not know in advance which machine it will meet.

How: every ``INTERVAL`` seconds at most, when a backward pass starts (about once per training
step), minidl compares two clocks over the time since its last look: the cores' busy time,
from the kernel's per-CPU counters (``/proc/stat``, the CPUs this process may run on), and this
process's own CPU time (``os.times``, all its threads, spinning BLAS threads included). What is
busy but not minidl's is other work:

    others = (busy ticks of our CPUs - our own CPU ticks) / elapsed ticks      (in cores)
    threads = cores - ceil(others - 1/4),  at least 1

so a quarter of a core of background noise leaves every core to minidl, and each further core
that others keep busy takes one thread away. Reading the counters costs about 20 microseconds,
at most ten times a second. Where ``/proc/stat`` does not exist (macOS, Windows) the count
stays as it was.

The price: OpenBLAS does not promise the same rounding at every thread count, so a run whose
count changed may differ in the last bits from one that did not; ``set_num_threads(n)`` (or
``MINIDL_NUM_THREADS=n``) fixes the count, and the test suite runs with one thread.

Read next: ``minidl/allocator.py`` (keeping freed memory for reuse).
"""
from __future__ import annotations

import math
import os
import time
from typing import List, Optional, Tuple

INTERVAL = 0.1  # seconds between two looks at the load, at least
NOISE = 0.25  # cores of other work that do not cost minidl a thread


def usable_cpus() -> List[int]:
    """The CPUs this process may run on (all of them where the OS cannot say: macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def threads_for(cores: int, others: float) -> int:
    """The thread count for ``cores`` usable cores of which ``others`` are busy elsewhere."""
    return max(1, min(cores, cores - math.ceil(others - NOISE)))


def busy_ticks(stat_text: str, cpus) -> Optional[Tuple[int, int]]:
    """(busy, total) ticks of the CPUs numbered ``cpus``, from the text of /proc/stat (lines
    "cpuN user nice system idle iowait irq softirq steal ..."), or None when it lists none of
    them. Idle and iowait are not busy; steal (another virtual machine held the core) is."""
    busy = total = 0
    found = False
    for line in stat_text.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *fields = line.split()
        if int(name[3:]) not in cpus:
            continue
        ticks = [int(v) for v in fields[:8]]
        found = True
        total += sum(ticks)
        busy += sum(ticks) - ticks[3] - ticks[4]
    return (busy, total) if found else None


class LoadWatcher:
    """Looks at the load every ``INTERVAL`` seconds and says how many threads to use."""

    def __init__(self, cpus: Optional[List[int]] = None, stat_path: str = "/proc/stat"):
        self.cpus = set(usable_cpus() if cpus is None else cpus)
        self.stat_path = stat_path
        self.ticks_per_second = os.sysconf("SC_CLK_TCK")
        self.next_look = 0.0
        self.previous = self._sample()

    def _sample(self) -> Optional[Tuple[int, int, float]]:
        """(busy ticks, total ticks, own CPU seconds), or None where /proc/stat is missing."""
        try:
            with open(self.stat_path) as f:
                ticks = busy_ticks(f.read(), self.cpus)
        except OSError:
            return None
        own = os.times()
        return None if ticks is None else ticks + (own.user + own.system,)

    def advice(self) -> Optional[int]:
        """A thread count from the load since the last look, or None (too early to tell)."""
        now = time.monotonic()
        if now < self.next_look:
            return None
        self.next_look = now + INTERVAL
        sample = self._sample()
        previous, self.previous = self.previous, sample
        if sample is None or previous is None:
            return None
        busy, total = sample[0] - previous[0], sample[1] - previous[1]
        if total <= 0:
            return None
        own = (sample[2] - previous[2]) * self.ticks_per_second
        cores = len(self.cpus)
        others = max(0.0, busy - own) / total * cores  # busy ticks are summed over our CPUs
        return threads_for(cores, others)
