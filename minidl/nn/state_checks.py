"""What ``Module.load_state_dict`` checks before it copies anything: every key, shape and dtype
of a state dict against the model's own, all problems gathered into one ``StateDictError``, so
that a load either succeeds whole or leaves the model as it was.

Read next: ``minidl/nn/containers.py`` (Sequential, ModuleList).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Tuple

from minidl import backend
from minidl.config_checks import ConfigTypeError
from minidl.errors import MinidlError
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class StateDictError(MinidlError, RuntimeError):
    """``load_state_dict`` found missing or unexpected keys, or shapes that do not match."""


def checked_state(model: str, own: Dict[str, Tensor], state_dict: Any, strict: bool
                  ) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """(arrays to copy, missing keys, unexpected keys) for loading ``state_dict`` into a model
    (named ``model`` in messages) whose parameters and buffers are ``own``. Each array is in
    its target's dtype on its device. Raises one StateDictError listing every problem: missing
    and unexpected keys when ``strict``; always: values that are not numeric arrays, shapes
    that differ, floating-point values for integer buffers."""
    if not isinstance(state_dict, Mapping):
        raise ConfigTypeError(f"load_state_dict for {model}: expected a dict of name -> "
                              f"Tensor (from state_dict()), got {type(state_dict).__name__}")
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    problems = []
    if strict and missing:
        problems.append("missing key(s): " + ", ".join(map(repr, missing)))
    if strict and unexpected:
        problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
    arrays = {}
    for key, target in own.items():
        if key in state_dict:
            problem, arrays[key] = _converted(key, state_dict[key], target)
            if problem:
                problems.append(problem)
    if problems:
        raise StateDictError(f"Error(s) in load_state_dict for {model}: " + "; ".join(problems))
    return arrays, missing, unexpected


def _converted(key: str, value: Any, target: Tensor) -> Tuple[str, Any]:
    """(problem, array): ``value`` as an array in ``target``'s dtype on its device, or a
    description of why it cannot be loaded into ``target`` (and None)."""
    array = value._array if isinstance(value, Tensor) else value
    shape, dtype = getattr(array, "shape", None), getattr(array, "dtype", None)
    if shape is None or dtype is None:
        return (f"{key!r}: expected a Tensor or an array, got {type(value).__name__}", None)
    # Strings, objects and complex numbers have no meaning as weights (NumPy would raise
    # mid-copy, or drop the imaginary part); a fractional value would be truncated in an
    # integer buffer such as num_batches_tracked.
    allowed = "biuf" if target.dtype.kind == "f" else "biu"
    if dtype.kind not in allowed:
        return (f"{key!r}: cannot load a {dtype} value into a {target.dtype} "
                f"{'parameter' if isinstance(target, Parameter) else 'buffer'}", None)
    if tuple(shape) != tuple(target.shape):
        return (f"size mismatch for {key!r}: copying a tensor of shape {tuple(shape)} from the "
                f"state dict, but the shape in the current model is {tuple(target.shape)}", None)
    return ("", backend.asarray(array, target.dtype, backend.device_of(target._array)))
