"""minidl.allocator.keep_freed_memory: glibc accepts it, it does what it says, and importing
minidl applies it unless MINIDL_KEEP_FREED_MEMORY=0. A process that, like a training step,
makes sixteen 4 MB arrays and then frees them all, ten times, gets many pages of them back from
the kernel each time without it (glibc trims the freed top of its heap), and keeps them with it
(counted as minor page faults, in fresh processes).

Read next: ``tests/test_char_gpt_example.py``.
"""
import platform
import subprocess
import sys

import pytest

from minidl.allocator import keep_freed_memory

LOOP = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from minidl.allocator import keep_freed_memory
    assert keep_freed_memory()
a = np.ones(1 << 20, np.float32)  # 4 MB
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for step in range(10):  # like training steps: 16 arrays made (a forward pass), then all freed
    held = [a * k for k in range(16)]
    del held
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                          timeout=120, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_freed_memory_is_reused_instead_of_faulted_in_again():
    assert keep_freed_memory()
    default, kept = page_faults("default"), page_faults("keep")
    # 16 arrays of about 1000 pages of 4 KB: measured 82,000 faults in ten steps by default
    # (glibc lets some of the freed heap stay, not all), 8,200 with the memory kept.
    assert default > 3 * 16 * 1000
    assert kept < 16 * 1000 + 4000 < default / 2


def test_bad_limits_are_refused():
    for limit in (0, -1, 1 << 40, 1.5, True):
        with pytest.raises(ValueError, match="limit"):
            keep_freed_memory(limit)


IMPORT_THEN_LOOP = LOOP.replace('if sys.argv[1] == "keep":', 'import minidl\nif False:')


def faults_after_importing_minidl(**env) -> int:
    import os
    clean = {k: v for k, v in os.environ.items()
             if k not in ("MINIDL_KEEP_FREED_MEMORY", "MALLOC_MMAP_THRESHOLD_",
                          "MALLOC_TRIM_THRESHOLD_")}
    done = subprocess.run([sys.executable, "-c", IMPORT_THEN_LOOP, "default"],
                          capture_output=True, text=True, timeout=120, check=True,
                          env={**clean, **env})
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_importing_minidl_keeps_freed_memory_unless_the_environment_says_not_to():
    kept = faults_after_importing_minidl()
    assert kept < 16 * 1000 + 4000
    assert faults_after_importing_minidl(MINIDL_KEEP_FREED_MEMORY="0") > 3 * 16 * 1000
    # glibc's own variables are the user's choice: minidl leaves them be (here: glibc's defaults)
    assert faults_after_importing_minidl(MALLOC_TRIM_THRESHOLD_="131072") > 3 * 16 * 1000
