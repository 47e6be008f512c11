"""minidl.nn.init's trunc_normal_, orthogonal_, eye_, dirac_ and sparse_: distributions and
bounds (statistics of 200,000 draws, tolerances many standard errors wide, fixed seeds),
orthogonality Q^T Q = gain^2 I, the exact patterns of eye_ and dirac_ (against PyTorch when
installed), zeros counted per column for sparse_, seeding, dtype and device, and the errors.
"""
import math

import numpy as np
import pytest
from fake_device import FakeArray, fake  # noqa: F401 (a fixture)

import minidl
from minidl import backend
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, MinidlError, ShapeError
from minidl.nn import init


def host(t):
    return backend.to_host(t._array)


def _truncated_moments(mean, std, a, b):
    """Mean and std of N(mean, std^2) truncated to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))
    m = mean + std * (pdf[0] - pdf[1]) / mass
    var = std ** 2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / mass
                      - ((pdf[0] - pdf[1]) / mass) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 1.0, -1.0, 1.5),
                                             (0.0, 0.02, -0.04, 0.04), (3.0, 2.0, 2.5, 10.0)])
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments(mean, std, a, b, device):
    minidl.manual_seed(0)
    w = minidl.empty(400, 500, device=device)
    assert init.trunc_normal_(w, mean, std, a, b) is w
    data = host(w)
    assert data.min() >= a and data.max() <= b
    m, s = _truncated_moments(mean, std, a, b)
    assert abs(data.mean() - m) < 0.01 * s and abs(data.std() / s - 1) < 0.01
    # the defaults: N(0, 1) cut at -2 and 2
    data = host(init.trunc_normal_(minidl.empty(200, 1000, dtype=minidl.float64)))
    assert data.min() >= -2 and data.max() <= 2 and data.min() < -1.99


def test_trunc_normal_matches_pytorch_in_distribution():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.empty(200_000), 0.5, 1.0, -1.0, 1.5).numpy()
    minidl.manual_seed(0)
    ours = host(init.trunc_normal_(minidl.empty(200_000), 0.5, 1.0, -1.0, 1.5))
    # same law: deciles agree to a few standard errors (about 0.002 here)
    qs = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(ours, qs), np.quantile(theirs, qs), atol=0.01)


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (8, 2), (4, 2, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape, device):
    minidl.manual_seed(1)
    w = minidl.empty(*shape, dtype=minidl.float64, device=device)
    assert init.orthogonal_(w, gain=2.0) is w
    q = host(w).reshape(shape[0], -1)
    gram = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(q.shape)), atol=1e-12)
    assert w.shape == shape


def test_orthogonal_is_haar_distributed():
    """With the signs of diag(R) fixed, Q is uniform over orthogonal matrices: its entries
    have mean 0 and variance 1/n, and diag(Q) is not biased positive (it is without the fix)."""
    minidl.manual_seed(2)
    diagonals = []
    for _ in range(400):
        w = init.orthogonal_(minidl.empty(4, 4, dtype=minidl.float64))
        diagonals.append(np.diag(host(w)))
    d = np.array(diagonals)
    assert abs(d.mean()) < 0.05 and abs(d.var() - 1 / 4) < 0.03


def test_orthogonal_float32_and_seeding():
    minidl.manual_seed(3)
    a = host(init.orthogonal_(minidl.empty(6, 4)))
    minidl.manual_seed(3)
    b = host(init.orthogonal_(minidl.empty(6, 4)))
    assert a.dtype == np.float32 and np.array_equal(a, b)
    np.testing.assert_allclose(a.T @ a, np.eye(4), atol=1e-5)
    g = minidl.Generator("cpu").manual_seed(5)
    c = host(init.orthogonal_(minidl.empty(6, 4), generator=g))
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_is_the_identity(shape, device):
    w = minidl.full(shape, 7.0, device=device)
    assert init.eye_(w) is w
    np.testing.assert_array_equal(host(w), np.eye(*shape))


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 1),
                                           ((4, 2, 3, 3), 2), ((6, 2, 2, 3, 3), 3),
                                           ((2, 5, 3, 3), 1)])
def test_dirac_pattern_and_identity_convolution(shape, groups):
    w = minidl.full(shape, 7.0, dtype=minidl.float64)
    init.dirac_(w, groups)
    data = host(w)
    per_group = shape[0] // groups
    expected = np.zeros(shape)
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            expected[(g * per_group + d, d) + centre] = 1
    np.testing.assert_array_equal(data, expected)
    assert data.sum() == groups * min(per_group, shape[1])
    torch = pytest.importorskip("torch")
    theirs = torch.nn.init.dirac_(torch.empty(shape, dtype=torch.float64), groups)
    np.testing.assert_array_equal(data, theirs.numpy())


def test_dirac_conv2d_copies_its_input():
    x = minidl.randn(1, 3, 5, 5)
    weight = init.dirac_(minidl.empty(3, 3, 3, 3))
    y = minidl.nn.functional.conv2d(x, weight, padding=1)
    np.testing.assert_allclose(host(y), host(x), atol=1e-6)


@pytest.mark.parametrize("rows, cols, sparsity", [(10, 50, 0.1), (7, 20, 0.5), (5, 3, 0.0),
                                                  (4, 6, 1.0), (9, 4, 0.34)])
def test_sparse_zeros_ceil_sparsity_rows_in_every_column(rows, cols, sparsity, device):
    minidl.manual_seed(4)
    w = minidl.empty(rows, cols, dtype=minidl.float64, device=device)
    assert init.sparse_(w, sparsity, std=0.5) is w
    data = host(w)
    zeros = (data == 0).sum(axis=0)
    np.testing.assert_array_equal(zeros, math.ceil(sparsity * rows))


def test_sparse_nonzeros_are_normal_and_zero_rows_differ_per_column():
    minidl.manual_seed(5)
    data = host(init.sparse_(minidl.empty(100, 2000, dtype=minidl.float64), 0.3, std=0.02))
    kept = data[data != 0]
    assert kept.size == 70 * 2000
    assert abs(kept.mean()) < 0.001 and abs(kept.std() / 0.02 - 1) < 0.01
    # every row is zeroed in about 30% of the columns: the rows are drawn per column
    share = (data == 0).mean(axis=1)
    assert share.min() > 0.2 and share.max() < 0.4


def test_new_inits_keep_dtype_run_under_no_grad_and_bump_nothing_else():
    w = minidl.nn.Parameter(minidl.zeros(4, 4, dtype=minidl.float64))
    for fill in (lambda t: init.trunc_normal_(t), lambda t: init.orthogonal_(t),
                 init.eye_, lambda t: init.sparse_(t, 0.5)):
        assert fill(w) is w
        assert w.dtype == minidl.float64 and w.grad_fn is None and w.requires_grad


FILLS = {  # name: (fill, shape)
    "trunc_normal_": (lambda t: init.trunc_normal_(t, 0.2, 1.0, -0.5, 1.0), (5, 3)),
    "orthogonal_": (init.orthogonal_, (5, 3)),
    "eye_": (init.eye_, (5, 3)),
    "sparse_": (lambda t: init.sparse_(t, 0.5), (5, 3)),
    "dirac_": (lambda t: init.dirac_(t, 2), (4, 3, 3)),
}


@pytest.mark.parametrize("fill, shape", FILLS.values(), ids=FILLS.keys())
def test_every_new_init_stays_on_the_device_and_matches_the_cpu(fill, shape, fake):
    """On the stand-in device (NumPy arrays minidl must treat as another device's) each init
    keeps the tensor's array on that device and, from the same seed, gives the CPU's numbers:
    no array was made with NumPy instead of the device's module."""
    results = []
    for device in ("cpu", fake):
        minidl.manual_seed(0)
        w = minidl.full(shape, 7.0, device=device)
        fill(w)
        assert type(w._array) is (FakeArray if device == fake else np.ndarray)
        results.append(host(w))
    np.testing.assert_array_equal(results[0], results[1])


ERRORS = [
    ("trunc_normal_", ConfigError, "a < b", lambda: init.trunc_normal_(minidl.empty(3), a=1,
                                                                       b=-1)),
    ("trunc_normal_", ConfigError, "holds only",
     lambda: init.trunc_normal_(minidl.empty(3), 0.0, 1.0, 10.0, 11.0)),
    ("trunc_normal_", ConfigError, "std", lambda: init.trunc_normal_(minidl.empty(3), std=-1)),
    ("trunc_normal_", ConfigTypeError, "Tensor", lambda: init.trunc_normal_(np.zeros(3))),
    ("orthogonal_", ShapeError, "2 or more", lambda: init.orthogonal_(minidl.empty(3))),
    ("orthogonal_", ConfigError, "gain",
     lambda: init.orthogonal_(minidl.empty(3, 3), gain=math.inf)),
    ("eye_", ShapeError, "2-D", lambda: init.eye_(minidl.empty(2, 2, 2))),
    ("dirac_", ShapeError, "3, 4 or 5", lambda: init.dirac_(minidl.empty(2, 2))),
    ("dirac_", ConfigError, "divisible", lambda: init.dirac_(minidl.empty(3, 2, 3), 2)),
    ("dirac_", ConfigError, "groups", lambda: init.dirac_(minidl.empty(3, 2, 3), 0)),
    ("sparse_", ConfigError, "sparsity", lambda: init.sparse_(minidl.empty(3, 3), 1.5)),
    ("sparse_", ShapeError, "2-D", lambda: init.sparse_(minidl.empty(3), 0.5)),
]


@pytest.mark.parametrize("name, error, words, call", ERRORS,
                         ids=[f"{e[0]}-{e[2]}" for e in ERRORS])
def test_bad_arguments_raise_minidl_errors_naming_the_init(name, error, words, call):
    with pytest.raises(error, match=words) as raised:
        call()
    assert isinstance(raised.value, MinidlError) and name in str(raised.value)


def test_zero_size_and_constant_edge_cases():
    assert init.orthogonal_(minidl.empty(0, 3)).shape == (0, 3)
    w = init.trunc_normal_(minidl.empty(5), mean=3.0, std=0.0, a=-1.0, b=1.0)
    np.testing.assert_array_equal(host(w), 1.0)  # std 0: the mean, clamped into [a, b]
