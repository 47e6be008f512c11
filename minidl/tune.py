"""Hyperparameter search: random search over per-parameter distributions, then coarse to fine.

Why random and not a grid: with a 5 x 5 grid over (lr, dropout) you try only 5 learning rates, and
if dropout hardly matters, 20 of the 25 runs are wasted. 25 random points try 25 learning rates.

Why the distribution matters: a learning rate between 1e-4 and 1 should be sampled on a log scale
(as many tries in [1e-4, 1e-3] as in [0.1, 1]); sampling it uniformly puts 90% of the tries above
0.1. An averaging coefficient beta in [0.9, 0.999] matters through 1 / (1 - beta), the number of
steps it averages over (10 to 1000), so sample 1 - beta on a log scale. Each distribution therefore
has its own *coordinate* (value, log10 value, log10(1 - value)) in which it is uniform, and
coarse-to-fine narrows ranges in that coordinate.

    space = {"lr": LogUniform(1e-4, 1), "beta": OneMinusLogUniform(0.9, 0.999),
             "hidden": Choice([32, 64, 128])}
    trials = random_search(lambda p: train_and_validate(**p), space, n_trials=20, seed=0)
    print(format_table(trials))                        # best first

Read next: ``minidl/backward_trace.py`` (the backward pass, step by step);
``examples/hparam_search.py`` searches an MLP's settings on Fashion-MNIST.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Union

import numpy as np

Seed = Union[int, np.random.Generator, None]


class Distribution:
    """How one hyperparameter is sampled: uniformly in ``coordinate(value)`` over [low, high]."""

    low: float
    high: float
    axis_label = "{}"  # how plots label the coordinate of a parameter called {}

    def coordinate(self, value: float) -> float:
        return float(value)

    def value(self, coordinate: float) -> Any:
        return float(coordinate)

    def bounds(self) -> tuple:
        """The range of the coordinate, (smallest, largest)."""
        a, b = self.coordinate(self.low), self.coordinate(self.high)
        return (min(a, b), max(a, b))

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value(rng.uniform(*self.bounds()))

    def with_bounds(self, lo: float, hi: float) -> Distribution:
        """The same kind of distribution over coordinates [lo, hi]."""
        a, b = self.value(lo), self.value(hi)
        return type(self)(min(a, b), max(a, b))

    def _check(self, low: float, high: float, name: str) -> None:
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise ValueError(f"{name}: need finite low <= high, got low={low}, high={high}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.low:.6g}, {self.high:.6g})"


class Uniform(Distribution):
    """A float uniform in [low, high]."""

    def __init__(self, low: float, high: float):
        self._check(low, high, "Uniform")
        self.low, self.high = float(low), float(high)


class LogUniform(Distribution):
    """A positive float whose log10 is uniform: lr = 10**r, r uniform in [log10 low, log10 high]."""

    axis_label = "log10({})"

    def __init__(self, low: float, high: float):
        self._check(low, high, "LogUniform")
        if low <= 0:
            raise ValueError(f"LogUniform: low must be > 0, got {low}")
        self.low, self.high = float(low), float(high)

    def coordinate(self, value: float) -> float:
        return math.log10(value)

    def value(self, coordinate: float) -> float:
        return 10.0 ** coordinate


class OneMinusLogUniform(Distribution):
    """An averaging coefficient: beta = 1 - 10**r, r uniform in [log10(1-high), log10(1-low)].

    beta in [0.9, 0.999] then averages over 10 to 1000 steps, each decade equally often."""

    axis_label = "log10(1 - {})"

    def __init__(self, low: float, high: float):
        self._check(low, high, "OneMinusLogUniform")
        if not 0 <= low <= high < 1:
            raise ValueError(f"OneMinusLogUniform: need 0 <= low <= high < 1, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def coordinate(self, value: float) -> float:
        return math.log10(1.0 - value)

    def value(self, coordinate: float) -> float:
        return 1.0 - 10.0 ** coordinate


class IntUniform(Distribution):
    """An integer uniform in [low, high], both included."""

    def __init__(self, low: int, high: int):
        self._check(low, high, "IntUniform")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def value(self, coordinate: float) -> int:
        return int(round(coordinate))

    def with_bounds(self, lo: float, hi: float) -> IntUniform:
        return IntUniform(math.floor(lo), math.ceil(hi))


class Choice(Distribution):
    """One of a list of options, each equally likely."""

    def __init__(self, options: Sequence[Any]):
        if len(options) == 0:
            raise ValueError("Choice: options must not be empty")
        self.options = list(options)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def coordinate(self, value: Any) -> float:
        return float(self.options.index(value))  # plots put option i at x = i

    def __repr__(self) -> str:
        return f"Choice({self.options!r})"


Space = Dict[str, Distribution]


@dataclass
class Trial:
    """One evaluated setting. ``score`` is what the objective returned (NaN if it diverged)."""

    params: Dict[str, Any]
    score: float
    index: int            # order of evaluation, 0, 1, ... across all rounds
    round: int = 0        # coarse-to-fine round
    seconds: float = field(default=0.0, compare=False)


def sample(space: Space, rng: np.random.Generator) -> Dict[str, Any]:
    """One setting: each parameter drawn from its distribution, in the space's order."""
    return {name: dist.sample(rng) for name, dist in space.items()}


def sort_trials(trials: List[Trial], maximize: bool = False) -> List[Trial]:
    """Best first; trials whose score is NaN or infinite (diverged runs) go last."""
    def key(t: Trial):
        finite = math.isfinite(t.score)
        return (not finite, -t.score if maximize and finite else t.score if finite else 0.0)
    return sorted(trials, key=key)


def random_search(objective: Callable[[Dict[str, Any]], float], space: Space, n_trials: int,
                  seed: Seed = 0, maximize: bool = False, round: int = 0,
                  first_index: int = 0) -> List[Trial]:
    """Evaluate ``objective(params)`` at ``n_trials`` random settings; trials sorted best first.

    The samples depend only on ``seed`` (an int or a NumPy Generator), never on the scores."""
    if n_trials < 1:
        raise ValueError(f"random_search: n_trials must be >= 1, got {n_trials}")
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n_trials):
        params = sample(space, rng)
        start = time.perf_counter()
        score = float(objective(params))
        trials.append(Trial(params, score, first_index + i, round, time.perf_counter() - start))
    return sort_trials(trials, maximize)


def narrow(space: Space, trials: List[Trial], top_k: int, shrink: float,
           maximize: bool = False) -> Space:
    """Zoom each range in on the ``top_k`` best trials, in the distribution's own coordinate.

    A range becomes the smallest interval holding the top trials' coordinates, widened (about its
    centre) to at least ``shrink`` times the old width so that a lucky cluster does not collapse the
    search, and kept inside the old range. A Choice keeps the options the top trials used."""
    if not 0 < shrink <= 1:
        raise ValueError(f"narrow: shrink must be in (0, 1], got {shrink}")
    if top_k < 1:
        raise ValueError(f"narrow: top_k must be >= 1, got {top_k}")
    best = [t for t in sort_trials(trials, maximize) if math.isfinite(t.score)][:top_k]
    if not best:
        return dict(space)
    narrowed = {}
    for name, dist in space.items():
        if isinstance(dist, Choice):
            kept = [o for o in dist.options if any(t.params[name] == o for t in best)]
            narrowed[name] = Choice(kept)
            continue
        old_lo, old_hi = dist.bounds()
        coords = [dist.coordinate(t.params[name]) for t in best]
        lo, hi = min(coords), max(coords)
        width = min(max(hi - lo, shrink * (old_hi - old_lo)), old_hi - old_lo)
        centre = (lo + hi) / 2
        lo = min(max(centre - width / 2, old_lo), old_hi - width)  # slide back inside
        narrowed[name] = dist.with_bounds(lo, lo + width)
    return narrowed


class CoarseToFine(NamedTuple):
    trials: List[Trial]   # every trial of every round, best first
    spaces: List[Space]   # the space searched in each round


def coarse_to_fine(objective: Callable[[Dict[str, Any]], float], space: Space, rounds: int = 3,
                   trials_per_round: int = 20, top_k: int = 5, seed: Seed = 0,
                   shrink: float = 0.25, maximize: bool = False) -> CoarseToFine:
    """Random search, then again in ranges narrowed around the best trials so far, ``rounds``
    times. Returns all trials (best first) and the space of each round."""
    rng = np.random.default_rng(seed)
    trials: List[Trial] = []
    spaces = [dict(space)]
    for r in range(rounds):
        if r > 0:
            spaces.append(narrow(spaces[-1], trials, top_k, shrink, maximize))
        trials += random_search(objective, spaces[-1], trials_per_round, rng, maximize,
                                round=r, first_index=len(trials))
    return CoarseToFine(sort_trials(trials, maximize), spaces)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(trials: List[Trial], limit: Optional[int] = None) -> str:
    """A plain-text table of trials in the given order: rank, round, score, each parameter."""
    trials = trials[:limit] if limit is not None else trials
    if not trials:
        return "(no trials)"
    names = list(trials[0].params)
    header = ["rank", "trial", "round", "score"] + names + ["seconds"]
    rows = [[str(i + 1), str(t.index), str(t.round), _format_value(t.score)]
            + [_format_value(t.params[n]) for n in names] + [f"{t.seconds:.2f}"]
            for i, t in enumerate(trials)]
    widths = [max(len(row[j]) for row in rows + [header]) for j in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def plot_trials(trials: List[Trial], path, space: Optional[Space] = None,
                score_label: str = "score") -> bool:
    """Scatter score against each parameter (one panel each), coloured by round, saved to
    ``path``. With ``space``, each axis shows the distribution's coordinate (log10 lr, ...).
    Returns False, and writes nothing, when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    trials = [t for t in trials if math.isfinite(t.score)]
    if not trials:
        return False
    names = list(trials[0].params)
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.5), squeeze=False)
    rounds = np.array([t.round for t in trials])
    for ax, name in zip(axes[0], names):
        dist = space.get(name) if space else None
        if dist is not None:
            x = [dist.coordinate(t.params[name]) for t in trials]
            ax.set_xlabel(dist.axis_label.format(name))
            if isinstance(dist, Choice):
                ax.set_xticks(range(len(dist.options)), [str(o) for o in dist.options])
        else:
            x = [float(t.params[name]) for t in trials]
            ax.set_xlabel(name)
        points = ax.scatter(x, [t.score for t in trials], c=rounds, cmap="viridis", s=18)
    axes[0][0].set_ylabel(score_label)
    if rounds.max() > 0:
        fig.colorbar(points, ax=axes[0].tolist(), label="round", ticks=range(rounds.max() + 1))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return True
