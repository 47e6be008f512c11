"""The switches around the graph: whether a forward pass records one (``no_grad``,
``enable_grad``, ``set_grad_enabled``) and whether every result is checked for NaN/Inf
(``detect_anomaly``). ``minidl.autograd`` re-exports them; ``Function.apply`` reads the flags.

Read next: ``minidl/ops/arithmetic.py``, the simplest Functions.
"""
from __future__ import annotations

import contextlib

from minidl import backend
from minidl.errors import AutogradError


class _GradMode:
    enabled = True  # the one global switch: is the forward pass recording a graph?
    anomaly = False  # detect_anomaly(): check every forward and backward result for NaN/Inf


def is_grad_enabled() -> bool:
    return _GradMode.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a ``with`` block, for a decorated function, or,
    called on its own (``set_grad_enabled(False)``), from then on -- as in PyTorch."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.previous = _GradMode.enabled
        self._set_at_init = type(self) is set_grad_enabled  # no_grad() waits for `with`
        if self._set_at_init:
            _GradMode.enabled = self.mode

    def __call__(self, func):
        if self._set_at_init:  # used as a decorator: undo the switch made by __init__
            _GradMode.enabled, self._set_at_init = self.previous, False
        return super().__call__(func)

    def __enter__(self):
        if self._set_at_init:  # `with set_grad_enabled(mode):` -- __init__ switched already
            self._set_at_init = False
            return
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous
        return False


class no_grad(set_grad_enabled):
    """Do not record a graph: for evaluation and for parameter updates."""

    def __init__(self):
        super().__init__(False)


class inference_mode(set_grad_enabled):
    """``no_grad`` under the name PyTorch gives it for pure evaluation. PyTorch also marks what is
    computed inside as inference tensors that autograd may never use later, which saves it
    version-counter bookkeeping; minidl has none to save, so its results stay ordinary tensors.
    ``inference_mode(False)`` records a graph even inside ``no_grad``, as PyTorch's does."""

    def __init__(self, mode: bool = True):
        super().__init__(not mode)


class enable_grad(set_grad_enabled):
    """Record a graph even inside ``no_grad`` (used by the engine for ``create_graph=True``)."""

    def __init__(self):
        super().__init__(True)


class detect_anomaly(contextlib.ContextDecorator):
    """Check every forward output and backward gradient for NaN/Inf and name the op at fault."""

    def __enter__(self):
        self.previous = _GradMode.anomaly
        _GradMode.anomaly = True

    def __exit__(self, *exc):
        _GradMode.anomaly = self.previous
        return False


def _check_finite(op_name: str, phase: str, array) -> None:
    xp = backend.get_array_module(array)
    if array.dtype.kind in "fc" and not bool(xp.isfinite(array).all()):
        bad = "NaN" if bool(xp.isnan(array).any()) else "Inf"
        raise AutogradError(f"detect_anomaly: {op_name} {phase} produced {bad} values")


def _backward_blaming_node(node, gy):
    """``node.backward`` under detect_anomaly: a NaN/Inf made by an op inside the backward rule
    (``Div`` in Sqrt's ``gy / (2y)``) is reported as the fault of the node's backward."""
    try:
        return node.function.backward(node, gy)
    except AutogradError as exc:
        if not str(exc).startswith("detect_anomaly:"):
            raise
        raise AutogradError(f"detect_anomaly: {node.op_name} backward produced non-finite "
                            f"values (inside its rule, {str(exc).partition(': ')[2]})") from None
