"""minidl.set_num_threads, get_num_threads, limit_threads, and the default applied at import
(``minidl/threads.py``): a count that follows the machine's load (``minidl/adaptive_threads.py``)
unless the environment or the user fixes one.

Read next: ``tests/test_allocator.py``.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl.adaptive_threads import LoadWatcher, busy_ticks, threads_for, usable_cpus
from minidl.errors import ConfigError, MinidlError
from minidl.serialization import MissingDependencyError

pytest.importorskip("threadpoolctl")


def blas_threads() -> int:
    from threadpoolctl import threadpool_info
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


@pytest.fixture(autouse=True)
def restore_threads():
    before = minidl.get_num_threads()
    yield
    minidl.set_num_threads(before)


def test_set_and_get_change_numpys_blas_pool():
    minidl.set_num_threads(2)
    assert minidl.get_num_threads() == 2 == blas_threads()
    minidl.set_num_threads(1)
    assert minidl.get_num_threads() == 1 == blas_threads()


def test_limit_threads_restores_the_count_after_the_block_also_when_it_raises():
    minidl.set_num_threads(1)
    with minidl.limit_threads(2):
        assert blas_threads() == 2
    assert blas_threads() == 1
    with pytest.raises(KeyError), minidl.limit_threads(2):
        raise KeyError("the block fails")
    assert blas_threads() == 1


def test_results_do_not_depend_on_the_count():
    a = np.random.default_rng(0).standard_normal((200, 300)).astype(np.float32)
    x = minidl.tensor(a)
    with minidl.limit_threads(1):
        one = (x @ x.T).numpy()
    with minidl.limit_threads(2):
        two = (x @ x.T).numpy()
    np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_a_count_that_is_not_a_positive_integer_is_a_config_error(bad):
    for call in (minidl.set_num_threads, lambda n: minidl.limit_threads(n).__enter__()):
        with pytest.raises(ConfigError, match="num_threads"):
            call(bad)


def test_without_threadpoolctl_setting_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    with pytest.raises(MissingDependencyError, match="pip install threadpoolctl"):
        minidl.set_num_threads(2)
    assert isinstance(MissingDependencyError("x"), (MinidlError, ImportError))
    assert minidl.get_num_threads() >= 1  # the usable cores: still an answer


def threads_after_import(**env) -> int:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("MINIDL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", "import minidl; print(minidl.get_num_threads())"],
                         env={**clean, **env}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def adaptive_after_import(**env) -> bool:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("MINIDL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    code = "import minidl; print(minidl.threads.is_adaptive())"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() == "True"


def test_importing_minidl_starts_adaptive_at_one_thread_unless_the_environment_chose():
    assert threads_after_import() == 1
    multicore = len(os.sched_getaffinity(0)) > 1
    assert adaptive_after_import() == multicore
    assert adaptive_after_import(MINIDL_NUM_THREADS="adaptive") == multicore
    assert threads_after_import(MINIDL_NUM_THREADS="2") == 2
    assert not adaptive_after_import(MINIDL_NUM_THREADS="2")
    assert threads_after_import(OPENBLAS_NUM_THREADS="2") == 2  # the user's, kept
    assert not adaptive_after_import(OPENBLAS_NUM_THREADS="2")


def test_the_suite_itself_runs_with_one_fixed_thread():
    """tests/conftest.py sets MINIDL_NUM_THREADS=1: results never depend on the load."""
    assert os.environ["MINIDL_NUM_THREADS"] == "1" and not minidl.threads.is_adaptive()


@pytest.mark.parametrize("cores, others, expected", [
    (2, 0.0, 2), (2, 0.2, 2), (2, 0.3, 1), (2, 1.0, 1), (2, 2.0, 1), (1, 0.0, 1),
    (8, 0.0, 8), (8, 1.2, 7), (8, 1.3, 6), (8, 7.9, 1)])
def test_threads_for_leaves_a_core_per_busy_core_of_other_work(cores, others, expected):
    assert threads_for(cores, others) == expected


STAT = """cpu  300 0 100 1000 0 0 0 0 0 0
cpu0 100 0 50 500 20 0 0 5 0 0
cpu1 200 0 50 500 0 0 0 0 0 0
cpu7 999 0 0 0 0 0 0 0 0 0
intr 12345
"""


def test_busy_ticks_count_our_cpus_only_and_not_idle_or_iowait():
    assert busy_ticks(STAT, {0}) == (155, 675)
    assert busy_ticks(STAT, {0, 1}) == (405, 1425)
    assert busy_ticks(STAT, {3}) is None


def test_the_watcher_sees_other_work_and_not_its_own(tmp_path, monkeypatch):
    """A fake /proc/stat: after 1 s with both CPUs busy, of which 0.9 s is this process's own
    time, one core is busy elsewhere: one thread; when the others stop, two."""
    stat = tmp_path / "stat"
    clock = {"own": 0.0}
    monkeypatch.setattr(os, "times", lambda: os.times_result((clock["own"], 0, 0, 0, 0)))

    def write(busy0, busy1, idle):
        stat.write_text(f"cpu0 {busy0} 0 0 {idle} 0 0 0 0 0 0\ncpu1 {busy1} 0 0 {idle} 0 0 0 0\n")
    write(0, 0, 0)
    watcher = LoadWatcher(cpus=[0, 1], stat_path=str(stat))
    ticks = watcher.ticks_per_second
    write(ticks, ticks, 0)  # both cores busy for a second
    clock["own"] = 0.9
    watcher.next_look = 0
    assert watcher.advice() == 1
    write(ticks + ticks // 2, ticks, ticks // 2)  # then: only our own work, half a second
    clock["own"] = 1.4
    watcher.next_look = 0
    assert watcher.advice() == 2
    assert watcher.advice() is None  # too early to look again


def test_adaptive_follows_the_load_and_a_fixed_count_ends_it(monkeypatch):
    monkeypatch.setattr(minidl.threads.LoadWatcher, "advice", lambda self: 2)
    assert minidl.threads.adaptive() == (len(os.sched_getaffinity(0)) > 1)
    if not minidl.threads.is_adaptive():
        pytest.skip("one usable core: nothing to adapt")
    assert blas_threads() == 1
    x = minidl.ones(3, requires_grad=True)
    (x * 2).sum().backward()  # a backward pass looks at the load
    assert blas_threads() == 2
    with minidl.limit_threads(1):
        assert not minidl.threads.is_adaptive()
        (x * 2).sum().backward()
        assert blas_threads() == 1
    assert minidl.threads.is_adaptive()
    minidl.set_num_threads(1)
    assert not minidl.threads.is_adaptive()
    (x * 2).sum().backward()
    assert blas_threads() == 1


def test_a_bad_minidl_num_threads_is_a_config_error_at_import():
    clean = dict(os.environ, MINIDL_NUM_THREADS="many")
    out = subprocess.run([sys.executable, "-c", "import minidl"], env=clean,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "MINIDL_NUM_THREADS" in out.stderr
    assert "ConfigError" in out.stderr


def test_without_sched_getaffinity_every_cpu_counts(monkeypatch):
    """macOS has no os.sched_getaffinity: minidl imports and counts os.cpu_count() CPUs."""
    monkeypatch.delattr(os, "sched_getaffinity")
    assert usable_cpus() == list(range(os.cpu_count()))
    assert LoadWatcher().cpus == set(range(os.cpu_count()))
