"""Shared test set-up: Hypothesis profiles and the ``device`` fixture.

Profiles: "ci" (the default, and what .ci/run uses) is derandomized and bounded, so every run
tests the same examples; "explore" (``make test-explore``) draws fresh, more numerous examples.
"""
import os

# One BLAS thread, fixed, for the whole suite and the processes it starts (set before minidl is
# imported): minidl's default count follows the machine's load, and a count that changed
# mid-run could change the last bits of results that tests compare exactly.
os.environ.setdefault("MINIDL_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "explore", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _cuda_available() -> bool:
    try:
        import minidl
        minidl.backend.parse_device("cuda")
        return True
    except Exception:
        return False


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Each test taking ``device`` runs on the CPU, and on CUDA when CuPy and a GPU exist."""
    if request.param == "cuda" and not _cuda_available():
        pytest.skip("cuda: CuPy or a GPU is not available on this machine")
    return request.param
