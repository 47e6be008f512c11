"""minidl.set_num_threads, get_num_threads, limit_threads, and the default applied at import
(``minidl/threads.py``): one BLAS thread unless the environment sizes the pool.

Read next: ``tests/test_allocator.py``.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl
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


def test_importing_minidl_applies_one_thread_unless_the_environment_chose():
    assert threads_after_import() == 1
    assert threads_after_import(MINIDL_NUM_THREADS="2") == 2
    assert threads_after_import(OPENBLAS_NUM_THREADS="2") == 2  # the user's, kept


def test_a_bad_minidl_num_threads_is_a_config_error_at_import():
    clean = dict(os.environ, MINIDL_NUM_THREADS="many")
    out = subprocess.run([sys.executable, "-c", "import minidl"], env=clean,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "MINIDL_NUM_THREADS" in out.stderr
    assert "ConfigError" in out.stderr
