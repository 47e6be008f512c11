"""erf and gelu pass NaN through, as in PyTorch, and keep erf(+-inf) = +-1 (regression: erf of
a NaN indexed its Taylor table at -2**63 and raised OutOfRangeError)."""
import numpy as np

import minidl
import minidl.nn.functional as F


def test_erf_of_nan_is_nan_and_of_inf_is_one():
    x = minidl.tensor([np.nan, np.inf, -np.inf, 0.5], dtype=minidl.float64)
    y = minidl.ops.special.erf(x).numpy()
    assert np.isnan(y[0]) and y[1] == 1.0 and y[2] == -1.0
    np.testing.assert_allclose(y[3], 0.5204998778130465, rtol=1e-15)


def test_gelu_of_nan_is_nan():
    assert np.isnan(F.gelu(minidl.tensor([np.nan])).numpy()[0])
