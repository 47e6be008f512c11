"""The strong-Wolfe line search that ``LBFGS(line_search_fn="strong_wolfe")`` uses.

Given a point ``x``, a descent direction ``d`` and a first trial step ``t``, find a step length
that satisfies the strong Wolfe conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed.,
algorithms 3.5 and 3.6)::

    f(x + t d) <= f(x) + c1 t ∇f(x)·d              (sufficient decrease)
    |∇f(x + t d)·d| <= c2 |∇f(x)·d|                (the slope has flattened enough)

Phase one walks forward (the trial step grows up to tenfold per try) until an interval is
known to contain such a step; phase two ("zoom") shrinks that interval. Both pick each new
trial at the minimum of the cubic that fits the function values and slopes at two known points.
Decisions and constants follow PyTorch's port of minFunc, so that L-BFGS takes the same steps.

Everything here works on floats and flat arrays: ``evaluate(t)`` returns the loss and the flat
gradient at ``x + t d`` (and restores the parameters afterwards).

Read next: ``rprop.py``, resilient backpropagation.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Tuple


def cubic_minimum(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                  bounds: Optional[Tuple[float, float]] = None) -> float:
    """Where the cubic through (x1, f1) and (x2, f2) with slopes g1, g2 has its minimum, clipped
    to ``bounds`` (by default the interval between x1 and x2); the middle of the bounds if the
    cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if not d2_square >= 0:  # no real minimum (or NaN): bisect
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        found = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        found = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(found, low), high)


class _Point:
    """A trial step ``t`` with the loss ``f``, flat gradient ``g`` and slope ``gtd`` = g·d."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t: float, f: float, g: Any, gtd: float):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(evaluate: Callable[[float], Tuple[float, Any]], d: Any, t: float, f: float,
                 g: Any, gtd: float, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9, max_ls: int = 25) -> Tuple[float, Any, float, int]:
    """Search along ``d`` from the current point (loss ``f``, gradient ``g``, slope ``gtd`` < 0).

    Returns ``(loss, flat gradient, step length, number of evaluations)`` of the chosen step.
    """
    d_norm = float(abs(d).max())
    start = _Point(0.0, f, g.copy(), gtd)

    def probe(step: float) -> _Point:
        f_new, g_new = evaluate(step)
        return _Point(step, f_new, g_new, float(g_new.dot(d)))

    new = probe(t)
    evals = 1
    prev = start
    bracket = None  # two points around an acceptable step, once phase one has found them
    tries = 0
    while tries < max_ls:
        if new.f > f + c1 * new.t * gtd or (tries > 1 and new.f >= prev.f):
            bracket = [prev, new]  # too far: the decrease is not sufficient
            break
        if abs(new.gtd) <= -c2 * gtd:
            return new.f, new.g, new.t, evals  # both conditions hold
        if new.gtd >= 0:
            bracket = [prev, new]  # the slope turned: a minimum lies in between
            break
        # Still going down steeply: extrapolate, at least a little and at most tenfold.
        bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        step = cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds)
        prev, new = new, probe(step)
        evals += 1
        tries += 1
    if tries == max_ls:  # out of evaluations: bracket the start and the last trial
        bracket = [start, new]
    return _zoom(probe, bracket, f, gtd, c1, c2, tolerance_change, d_norm, tries, max_ls, evals)


def _zoom(probe: Callable[[float], _Point], bracket: list, f: float, gtd: float, c1: float,
          c2: float, tolerance_change: float, d_norm: float, tries: int, max_ls: int,
          evals: int) -> Tuple[float, Any, float, int]:
    """Phase two: shrink ``bracket`` (two points, an acceptable step between them) until a
    trial satisfies both conditions, the interval is too small to matter, or evaluations run
    out; return the best point found (the one with the lower loss)."""
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress = False
    while tries < max_ls:
        left, right = min(p.t for p in bracket), max(p.t for p in bracket)
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        a, b = bracket
        step = cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # Keep the trial away from the ends (within 10% of the width), else the interval
        # could shrink by a sliver per evaluation; allow one such trial before moving it.
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:
            if insufficient_progress or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = probe(step)
        evals += 1
        tries += 1
        if new.f > f + c1 * new.t * gtd or new.f >= bracket[low].f:
            bracket[high] = new  # not low enough: it becomes the high end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if abs(new.gtd) <= -c2 * gtd:
            return new.f, new.g, new.t, evals
        if new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the minimum is on the other side of the new point
        bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
