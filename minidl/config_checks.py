"""Checks of configuration arguments: the sizes, rates and choices that build a layer, a loss,
an optimizer, a schedule or a data split.

A bad configuration is a mistake in the program, not in the data, so it is caught where it is
made: ``SGD(params, lr=-1)`` fails in the constructor, not inside ``step()`` an hour into
training. Each check raises ``ConfigError`` (a ``MinidlError`` and a ``ValueError``, as PyTorch
raises ``ValueError`` for an out-of-range value), or ``ConfigTypeError`` (also a ``TypeError``)
when the argument is not even of the right kind (``lr="0.1"``, ``betas=0.9``), or
``ConfigKeyError`` (also a ``KeyError``) for a name already taken or not there (a module's
buffer, a ``ModuleDict`` key). The two flavours live here, beside the checks that raise them;
``ConfigError`` itself is in ``minidl/errors.py``. Messages name who was being built, the
argument, its value and what was expected::

    ConfigError: SGD: invalid lr value: -1 (expected >= 0)

Booleans are refused where a number is expected (``True`` is an ``int`` to Python, but
``Linear(True, 3)`` is a bug), and NaN fails every range check.

Read next: ``minidl/nn/module.py`` (how modules find their parameters).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Collection, Optional

import numpy as np

from minidl.errors import ConfigError


class ConfigTypeError(ConfigError, TypeError):
    """A configuration argument of the wrong kind: a string learning rate, a float size, a
    single Tensor where a list of them is needed (PyTorch raises ``TypeError`` there)."""


class ConfigKeyError(ConfigError, KeyError):
    """A configuration key that is missing or already taken (PyTorch raises ``KeyError``)."""

    # KeyError's own __str__ prints the message as a quoted repr; show it as written.
    __str__ = Exception.__str__


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, but not for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """True for Python and NumPy integers and floats, but not for bools (nor strings, arrays)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _interval(low: Optional[float], high: Optional[float], low_open: bool,
              high_open: bool) -> str:
    """The expected range in words: ">= 0", "> 0", "in [0, 1)"."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    return f"{'<' if high_open else '<='} {high}"


def check_number(owner: str, name: str, value: Any, low: Optional[float] = None,
                 high: Optional[float] = None, *, low_open: bool = False,
                 high_open: bool = False, integer: bool = False) -> Any:
    """Return ``value`` if it is a real number (an integer if ``integer``) in the range; else
    raise ConfigTypeError (wrong kind) or ConfigError (out of range, or NaN)."""
    kind = "an integer" if integer else "a real number"
    if not (is_int(value) if integer else is_real(value)):
        raise ConfigTypeError(f"{owner}: invalid {name} value: {value!r} (expected {kind}, got "
                              f"{type(value).__name__})")
    if math.isnan(value):
        raise ConfigError(f"{owner}: invalid {name} value: nan (expected {kind})")
    if low is None and high is None:
        return value
    inside = ((low is None or (value > low if low_open else value >= low))
              and (high is None or (value < high if high_open else value <= high)))
    if not inside:
        raise ConfigError(f"{owner}: invalid {name} value: {value!r} (expected "
                          f"{_interval(low, high, low_open, high_open)})")
    return value


def check_finite(owner: str, name: str, value: Any) -> Any:
    """Return ``value`` if it is a finite real number (a scale, a shift, a gain)."""
    check_number(owner, name, value)
    if not math.isfinite(value):
        raise ConfigError(f"{owner}: invalid {name} value: {value!r} (expected a finite number)")
    return value


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 1 (a size, a count of steps)."""
    return check_number(owner, name, value, 1, integer=True)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool: a string flag such as ``"no"`` would be truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigTypeError(f"{owner}: invalid {name} value: {value!r} (expected True or "
                              f"False, got {type(value).__name__})")
    return bool(value)


def check_choice(owner: str, name: str, value: Any, choices: Collection[Any]) -> Any:
    """Return ``value`` if it is one of ``choices`` (e.g. a reduction, a mode)."""
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(choice) for choice in choices)
        raise ConfigError(f"{owner}: invalid {name} value: {value!r} (expected one of "
                          f"{expected})")
    return value
