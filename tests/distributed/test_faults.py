"""A failing rank ends the whole MPI job, quickly and with a clear message: no rank hangs.

A collective waits for every rank, so a rank that dies would leave the others waiting
forever. ``fault_worker.py`` makes rank 1 fail in four ways while rank 0 waits for it: it
raises, it is killed, it built another model, or it is stuck (caught by the timeout).
"""
import pytest

from .launch import HERE, require_mpi, run_mpi

LIMIT = 30  # seconds: a hang would be killed here and fail the test (launch.run_mpi)


@pytest.mark.parametrize("mode, messages", [
    ("raise", ["ValueError: boom on rank 1", "rank 1 raised ValueError; aborting the whole "
               "job (MPI_Abort)"]),
    ("kill", ["rank 1", "signal 9"]),
    ("mismatch", ["DistributedError: DistributedDataParallel: the ranks built different "
                  "models: parameter 'weight' is [5, 4] float32 on rank 1 but [4, 4] float32 "
                  "on rank 0"]),
    ("timeout", ["DistributedError: all_reduce: rank 0 waited", "more than the timeout "
                 "(0:00:02), for the other ranks of the job", "rank 0 raised DistributedError; "
                 "aborting the whole job (MPI_Abort)"]),
])
def test_a_failing_rank_ends_the_job_with_a_clear_error(mode, messages):
    require_mpi()
    job = run_mpi(HERE / "fault_worker.py", mode, n=2, timeout=LIMIT)
    assert job.returncode != 0, repr(job)
    assert "finished" not in job.stdout, repr(job)
    for message in messages:
        assert message in job.stderr, repr(job)
    if mode == "timeout":  # the collectives that finished in time did pass, and it ended fast
        assert "rank 0: in time ['r0', 'r1']" in job.stdout, repr(job)
        assert job.seconds < 20, repr(job)
