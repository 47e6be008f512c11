"""minidl.tune: distributions sample what they claim, coarse-to-fine narrows, seeds reproduce."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.tune import (
    Choice,
    IntUniform,
    LogUniform,
    OneMinusLogUniform,
    Trial,
    Uniform,
    coarse_to_fine,
    format_table,
    narrow,
    plot_trials,
    random_search,
)

finite = st.floats(-1e6, 1e6, allow_nan=False)


def draws(dist, n=200, seed=0):
    rng = np.random.default_rng(seed)
    return [dist.sample(rng) for _ in range(n)]


@settings(deadline=None)
@given(a=finite, b=finite)
def test_uniform_in_bounds(a, b):
    low, high = min(a, b), max(a, b)
    assert all(low <= v <= high for v in draws(Uniform(low, high), 50))


@settings(deadline=None)
@given(lo_exp=st.floats(-12, 6), decades=st.floats(0, 8))
def test_log_uniform_in_bounds(lo_exp, decades):
    low, high = 10 ** lo_exp, 10 ** (lo_exp + decades)
    assert all(low * (1 - 1e-12) <= v <= high * (1 + 1e-12)
               for v in draws(LogUniform(low, high), 50))


@settings(deadline=None)
@given(a=st.floats(0, 0.999999), b=st.floats(0, 0.999999))
def test_one_minus_log_uniform_in_bounds(a, b):
    low, high = min(a, b), max(a, b)
    assert all(low - 1e-12 <= v <= high + 1e-12 for v in draws(OneMinusLogUniform(low, high), 50))


@settings(deadline=None)
@given(a=st.integers(-100, 100), b=st.integers(-100, 100),
       options=st.lists(st.integers(), min_size=1))
def test_int_uniform_and_choice_in_bounds(a, b, options):
    low, high = min(a, b), max(a, b)
    ints = draws(IntUniform(low, high), 50)
    assert all(isinstance(v, int) and low <= v <= high for v in ints)
    assert all(v in options for v in draws(Choice(options), 20))


def ks_statistic_uniform(samples, low, high):
    """Largest gap between the empirical CDF of samples and the CDF of U(low, high)."""
    u = np.sort((np.asarray(samples) - low) / (high - low))
    n = len(u)
    return max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n))


N = 20000
KS_BOUND = 1.63 / math.sqrt(N)  # the KS test's 1% critical value


def test_log_uniform_is_uniform_in_log10():
    samples = draws(LogUniform(1e-4, 1.0), N)
    assert ks_statistic_uniform(np.log10(samples), -4, 0) < KS_BOUND
    # ... and the test has power: a plain Uniform over the same range is far from it
    assert ks_statistic_uniform(np.log10(draws(Uniform(1e-4, 1.0), N)), -4, 0) > 0.5


def test_one_minus_log_uniform_is_uniform_in_log10_of_one_minus():
    samples = np.array(draws(OneMinusLogUniform(0.9, 0.999), N))
    assert ks_statistic_uniform(np.log10(1 - samples), -3, -1) < KS_BOUND
    # as many betas average over 10 to 100 steps as over 100 to 1000
    assert abs(np.mean(samples < 0.99) - 0.5) < 0.02


def test_int_uniform_hits_every_value_equally():
    counts = np.bincount(draws(IntUniform(1, 4), N))[1:]
    assert counts.shape == (4,) and np.all(np.abs(counts / N - 0.25) < 0.02)


@pytest.mark.parametrize("make", [lambda: Uniform(2, 1), lambda: LogUniform(0, 1),
                                  lambda: OneMinusLogUniform(0.9, 1.0), lambda: Choice([]),
                                  lambda: Uniform(0, math.inf)])
def test_invalid_ranges_raise(make):
    with pytest.raises(ValueError):
        make()


SPACE = {"lr": LogUniform(1e-5, 1.0), "beta": OneMinusLogUniform(0.5, 0.999),
         "hidden": Choice([16, 32, 64]), "layers": IntUniform(1, 6), "x": Uniform(-3, 3)}


def objective(p):
    """Minimum at lr = 1e-2, beta = 0.99, hidden = 32, layers = 3, x = 1."""
    return ((math.log10(p["lr"]) + 2) ** 2 + (math.log10(1 - p["beta"]) + 2) ** 2
            + (p["hidden"] != 32) + 0.1 * abs(p["layers"] - 3) + (p["x"] - 1) ** 2)


def test_random_search_sorts_best_first_and_reproduces():
    trials = random_search(objective, SPACE, 30, seed=3)
    scores = [t.score for t in trials]
    assert scores == sorted(scores)
    assert [t.params for t in random_search(objective, SPACE, 30, seed=3)] == \
        [t.params for t in trials]
    assert [t.params for t in random_search(objective, SPACE, 30, seed=4)] != \
        [t.params for t in trials]
    best = random_search(lambda p: -objective(p), SPACE, 30, seed=3, maximize=True)
    assert [t.params for t in best] == [t.params for t in trials]


def test_diverged_trials_sort_last():
    trials = random_search(lambda p: math.nan if p["x"] > 0 else p["x"], {"x": Uniform(-1, 1)},
                           20, seed=0)
    finite_scores = [t.score for t in trials if math.isfinite(t.score)]
    assert [t.score for t in trials[:len(finite_scores)]] == sorted(finite_scores)
    assert all(math.isnan(t.score) for t in trials[len(finite_scores):])


def width(dist):
    lo, hi = dist.bounds()
    return hi - lo


def test_coarse_to_fine_narrows_and_beats_random_search():
    result = coarse_to_fine(objective, SPACE, rounds=4, trials_per_round=25, top_k=5, seed=0,
                            shrink=0.3)
    assert len(result.trials) == 100 and len(result.spaces) == 4
    assert [t.score for t in result.trials] == sorted(t.score for t in result.trials)
    for before, after in zip(result.spaces, result.spaces[1:]):
        for name in ("lr", "beta", "x"):
            lo, hi = before[name].bounds()
            new_lo, new_hi = after[name].bounds()
            assert lo - 1e-9 <= new_lo <= new_hi <= hi + 1e-9  # inside the old range
            assert width(after[name]) <= width(before[name]) + 1e-9
        assert set(after["hidden"].options) <= set(before["hidden"].options)
    final = result.spaces[-1]
    assert width(final["lr"]) < 0.5 * width(SPACE["lr"])  # log10 range, not the raw range
    assert 32 in final["hidden"].options
    assert result.trials[0].score < random_search(objective, SPACE, 100, seed=0)[0].score
    again = coarse_to_fine(objective, SPACE, rounds=4, trials_per_round=25, top_k=5, seed=0,
                           shrink=0.3)
    assert [t.params for t in again.trials] == [t.params for t in result.trials]


@pytest.mark.parametrize("seed", range(5))
def test_coarse_to_fine_keeps_the_optimum_in_range(seed):
    space = {"lr": LogUniform(1e-5, 1.0), "x": Uniform(-3, 3)}
    f = lambda p: (math.log10(p["lr"]) + 2) ** 2 + (p["x"] - 1) ** 2  # noqa: E731
    final = coarse_to_fine(f, space, rounds=3, trials_per_round=20, top_k=5, seed=seed,
                           shrink=0.3).spaces[-1]
    assert final["lr"].low < 1e-2 < final["lr"].high and final["x"].low < 1 < final["x"].high
    assert width(final["lr"]) < 0.7 * width(space["lr"]) and width(final["x"]) < 0.7 * 6


def test_narrow_keeps_a_minimum_width_and_integer_bounds():
    space = {"x": Uniform(0, 10), "n": IntUniform(0, 100)}
    trials = [Trial({"x": 5.0, "n": 50}, 0.0, 0), Trial({"x": 5.0, "n": 51}, 1.0, 1)]
    narrowed = narrow(space, trials, top_k=2, shrink=0.2)
    assert narrowed["x"].bounds() == pytest.approx((4.0, 6.0))  # 0.2 x the old width of 10
    assert isinstance(narrowed["n"], IntUniform) and narrowed["n"].low <= 50 < 51 <= \
        narrowed["n"].high
    edge = narrow(space, [Trial({"x": 0.0, "n": 0}, 0.0, 0)], top_k=1, shrink=0.2)
    assert edge["x"].bounds() == pytest.approx((0.0, 2.0))  # slid back inside the old range
    with pytest.raises(ValueError):
        narrow(space, trials, top_k=2, shrink=0.0)


def test_table_and_plot(tmp_path):
    trials = coarse_to_fine(objective, SPACE, rounds=2, trials_per_round=5, top_k=2, seed=1).trials
    table = format_table(trials, limit=3)
    lines = table.splitlines()
    assert len(lines) == 5 and all(name in lines[0] for name in SPACE)
    assert lines[2].split()[0] == "1"
    pytest.importorskip("matplotlib")
    assert plot_trials(trials, tmp_path / "trials.png", SPACE)
    assert (tmp_path / "trials.png").stat().st_size > 0
