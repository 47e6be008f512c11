"""The Optimizer base class: parameter groups, per-parameter state, ``zero_grad`` and checkpoints.

An optimizer owns a list of *parameter groups*. Each group is a dict holding a list of parameters
(``group["params"]``) and the hyperparameters that apply to them (``group["lr"]``, ...), so one
model can train its layers with different learning rates. Whatever an update rule must remember
between steps (a momentum buffer, Adam's moment estimates) lives in ``self.state[p]``, a dict per
parameter; Tensors hash by identity, so the parameter itself is the key.

``step()`` is one plain loop: for every parameter that received a gradient, call the subclass's
``_update`` on the *raw arrays* ``p._array`` and ``p.grad._array``. Working on arrays means no
graph is recorded and no Tensor objects are created, so an update costs what the array
arithmetic costs.

Everything that comes from outside is checked where it enters, so that a mistake fails with a
message naming the optimizer, the parameter group and the parameter, never deep inside an update:
hyperparameters (``ConfigError``), gradients that do not fit their parameter (``ShapeError``,
``DTypeError``, ``DeviceError``: NumPy would broadcast a (3,) gradient into every row of a (2, 3)
weight), and snapshots given to ``load_state_dict`` (checked whole before anything changes).

Read next: ``sgd.py`` (the simplest update), then ``adam.py``; ``lr_scheduler.py`` changes
``group["lr"]`` between epochs.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from minidl import backend
from minidl.config_checks import ConfigTypeError, is_int
from minidl.errors import ConfigError, DeviceError, DTypeError, ShapeError
from minidl.grad_mode import enable_grad
from minidl.tensor import Tensor

ParamsT = Union[Iterable[Tensor], Iterable[Dict[str, Any]]]

# The kinds of entry an update rule keeps in self.state[p] (see Optimizer._state_spec).
ARRAY = "array"  # an array shaped like the parameter, in its dtype, on its device
COUNT = "count"  # a non-negative integer, e.g. the number of steps taken


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    ``params`` is an iterable of Tensors, or of dicts (parameter groups), each with a ``"params"``
    entry and optional per-group hyperparameters that override ``defaults``.
    """

    def __init__(self, params: ParamsT, defaults: Dict[str, Any]):
        name = type(self).__name__
        if not isinstance(defaults, dict):
            raise ConfigTypeError(f"{name}: defaults must be a dict of hyperparameters, got "
                                  f"{type(defaults).__name__}")
        self._check_hyperparameters(defaults, name)
        self.defaults = dict(defaults)
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, Tensor) or not isinstance(params, Iterable):
            what = "a single Tensor; wrap it in a list: [param]" if isinstance(params, Tensor) \
                else type(params).__name__
            raise ConfigTypeError(f"{name}: params must be an iterable of Tensors or dicts, "
                                  f"got {what}")
        groups = list(params)
        if not groups:
            raise ConfigError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        """Subclasses check each hyperparameter (``minidl.config_checks``); ``owner`` names the
        optimizer, and the group when there is one, in the error."""

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        """What ``_update`` keeps in ``self.state[p]`` for a parameter of ``group``: entry name
        -> ARRAY or COUNT. ``load_state_dict`` refuses a snapshot that lacks one of them."""
        return {}

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters, e.g. a layer unfrozen during fine-tuning."""
        owner = f"{type(self).__name__} (parameter group {len(self.param_groups)})"
        if not isinstance(param_group, dict):
            raise ConfigTypeError(f"{owner}: a parameter group must be a dict, got "
                                  f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ConfigError(f"{owner}: a parameter group must have a 'params' entry (a list "
                              "of Tensors)")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            # A set's order changes between runs, and state_dict() identifies params by position.
            raise ConfigTypeError(f"{owner}: optimizer parameters must be in an ordered "
                                  "collection (a list), not a set")
        elif not isinstance(params, Iterable):
            raise ConfigTypeError(f"{owner}: 'params' must be a list of Tensors, got "
                                  f"{type(params).__name__}")
        group["params"] = list(params)
        for i, p in enumerate(group["params"]):
            if not isinstance(p, Tensor):
                raise ConfigTypeError(f"{owner}: optimizer can only optimize Tensors, but "
                                      f"parameter {i} is a {type(p).__name__}")
            if not p.is_leaf:
                # Its .grad is not kept and its data is recomputed from its inputs each forward.
                raise ConfigError(f"{owner}: can't optimize a non-leaf Tensor (parameter {i}, "
                                  "computed from others); optimize the leaves it was computed "
                                  "from")
            if p.dtype.kind != "f":
                raise DTypeError(f"{owner}: parameter {i} is {p.dtype}; only floating-point "
                                 "tensors can be optimized")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group, owner)
        # A parameter listed twice would be updated twice per step: refuse it, in one group or two.
        seen = {p for other in self.param_groups for p in other["params"]}
        for p in group["params"]:
            if p in seen:
                raise ConfigError(
                    f"{owner}: a parameter of shape {tuple(p.shape)} appears more than once in "
                    "the optimizer's parameter groups; each parameter may be listed only once"
                )
            seen.add(p)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward (``.grad`` accumulates otherwise).

        ``set_to_none=True`` (the default, as in PyTorch) frees the arrays and lets ``step`` skip
        parameters that receive no gradient; ``False`` fills the existing arrays with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._array.fill(0)

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model and returns the loss (some algorithms need several
        evaluations per step); it runs with graph recording on so it can call ``backward()``.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                if p.grad is None:  # not used in this forward pass (or frozen): leave it alone
                    continue
                grad = getattr(p.grad, "_array", None)
                if type(grad) is not type(p._array) or grad.shape != p._array.shape or \
                        grad.dtype != p._array.dtype:
                    self._refuse_grad(p, g, i)
                self._update(p._array, grad, self.state[p], group)
        return loss

    def _refuse_grad(self, p: Tensor, group_index: int, index: int) -> None:
        """Raise the error for a ``.grad`` that does not fit its parameter (set by hand, or by a
        hook): the update works on raw arrays, where a wrong shape would broadcast silently."""
        where = (f"{type(self).__name__}.step: parameter {index} of parameter group "
                 f"{group_index} (shape {tuple(p.shape)}, {p.dtype}, on {p.device})")
        if not isinstance(p.grad, Tensor):
            raise DTypeError(f"{where} has a .grad that is a {type(p.grad).__name__}; a "
                             "gradient must be a Tensor (or None)")
        grad = p.grad._array
        if backend.device_of(grad) != backend.device_of(p._array):
            raise DeviceError(f"{where} has a .grad on {backend.device_of(grad)}; move it with "
                              f".to({backend.device_of(p._array)!r})")
        if grad.shape != p._array.shape:
            raise ShapeError(f"{where} has a .grad of shape {tuple(grad.shape)}; a gradient "
                             "must have its parameter's shape")
        raise DTypeError(f"{where} has a .grad of dtype {grad.dtype}; a gradient must have its "
                         "parameter's dtype")

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        """Update the array ``param`` in place from ``grad``; subclasses write the rule here."""
        raise NotImplementedError

    # ------------------------------------------------------------------------- checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """A snapshot in PyTorch's layout, with parameters replaced by their position.

        ``{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [index]}]}``.
        Arrays are copies (on the parameters' device), so later steps do not change the snapshot.
        """
        index: Dict[Tensor, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {name: value for name, value in group.items() if name != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[p] = len(index)
                packed["params"].append(index[p])
            groups.append(packed)
        state = {
            index[p]: {name: value.copy() if _is_array(value) else value
                       for name, value in per_param.items()}
            for p, per_param in self.state.items()
            if p in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore a ``state_dict()`` into an optimizer of the same type over the same parameters.

        Arrays are copied onto each parameter's device in its dtype. Everything is checked
        before anything changes (structure, group and parameter counts, the hyperparameters
        this optimizer needs, the state entries its update keeps, shapes): on any error the
        optimizer is left as it was.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or "state" not in state_dict or \
                "param_groups" not in state_dict:
            got = list(state_dict) if isinstance(state_dict, Mapping) else \
                type(state_dict).__name__
            raise ConfigError(f"{owner}: expected a dict with 'state' and 'param_groups' (as "
                              f"returned by Optimizer.state_dict()), got {got}")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != \
                len(self.param_groups):
            count = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else \
                f"a {type(saved_groups).__name__} instead of a list"
            raise ConfigError(f"{owner}: the saved state has {count} parameter group(s) but "
                              f"this optimizer has {len(self.param_groups)}")
        by_index: Dict[int, Tensor] = {}
        new_groups = []
        for g, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            new_group, indices = self._restore_group(owner, g, group, saved)
            for index, p in zip(indices, group["params"]):
                if index in by_index:
                    raise ConfigError(f"{owner}: the saved parameter groups list parameter "
                                      f"index {index} more than once")
                by_index[index] = p
            new_groups.append(new_group)
        group_of = {p: group for group in new_groups for p in group["params"]}
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ConfigError(f"{owner}: 'state' must be a dict (parameter index -> state), got "
                              f"{type(saved_state).__name__}")
        new_state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for key, per_param in saved_state.items():
            index = _as_index(owner, key)  # after JSON, keys are strings
            if index not in by_index:
                raise ConfigError(f"{owner}: the saved state names parameter {key!r}, which no "
                                  f"saved parameter group lists")
            p = by_index[index]
            spec = self._state_spec(group_of[p])
            new_state[p] = _restore_state(owner, index, p, per_param, spec)
        self.state = new_state
        self.param_groups = new_groups

    def _restore_group(self, owner: str, g: int, group: Dict[str, Any],
                       saved: Any) -> Tuple[Dict[str, Any], List[int]]:
        """Saved group ``g``, checked, as this optimizer's group (its own parameters, the saved
        hyperparameters), and the saved indices of those parameters."""
        if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), (list, tuple)):
            raise ConfigError(f"{owner}: parameter group {g} of the saved state must be a dict "
                              "with a 'params' list")
        if len(group["params"]) != len(saved["params"]):
            raise ConfigError(f"{owner}: parameter group {g} has {len(group['params'])} "
                              f"parameter(s) but the saved group has {len(saved['params'])}")
        missing = [name for name in self.defaults if name not in saved]
        if missing:
            extra = [name for name in saved if name not in self.defaults and name != "params"]
            raise ConfigError(f"{owner}: parameter group {g} of the saved state has no "
                              f"{', '.join(map(repr, missing))}, which {type(self).__name__} "
                              f"needs (it has {', '.join(map(repr, extra)) or 'no others'}): "
                              "was it saved by another type of optimizer?")
        new_group = {name: value for name, value in saved.items() if name != "params"}
        new_group["params"] = group["params"]
        self._check_hyperparameters(new_group, f"{owner} (parameter group {g})")
        return new_group, [_as_index(owner, j) for j in saved["params"]]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        lines.append(")")
        return "\n".join(lines)


def _as_index(owner: str, key: Any) -> int:
    """A parameter index from a snapshot: an int, or its string form (JSON makes keys strings)."""
    if is_int(key):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise ConfigError(f"{owner}: {key!r} is not a parameter index (expected an integer >= 0)")


def _restore_state(owner: str, index: int, p: Tensor, per_param: Any,
                   spec: Dict[str, str]) -> Dict[str, Any]:
    """The saved state of parameter ``index``, checked against ``spec`` (what the update rule
    keeps), with arrays copied to ``p``'s device and dtype."""
    where = f"{owner}: the state of parameter {index}"
    if not isinstance(per_param, Mapping):
        raise ConfigError(f"{where} must be a dict, got {type(per_param).__name__}")
    missing = [name for name in spec if name not in per_param]
    if per_param and missing:  # an empty state is a parameter that has not been stepped yet
        raise ConfigError(f"{where} has no {', '.join(map(repr, missing))} (it has "
                          f"{', '.join(map(repr, per_param))}): was it saved by another type "
                          "of optimizer, or with other settings?")
    restored = {}
    for name, value in per_param.items():
        kind = spec.get(name, ARRAY if _is_array(value) else None)
        if kind == COUNT and not (is_int(value) and value >= 0):
            raise ConfigError(f"{where}: {name!r} must be an integer >= 0, got {value!r}")
        if kind == COUNT:
            value = int(value)
        elif kind == ARRAY:
            value = _restore_array(where, name, value, p)
        restored[name] = value
    return restored


def _restore_array(where: str, name: str, value: Any, p: Tensor) -> Any:
    """A saved array entry as the update needs it: ``p``'s shape, copied to its device and dtype."""
    if isinstance(value, Tensor):
        value = value._array
    if not _is_array(value) or value.dtype.kind not in "biuf":
        what = value.dtype if _is_array(value) else type(value).__name__
        raise ConfigError(f"{where}: {name!r} must be a numeric array, got {what}")
    if tuple(value.shape) != tuple(p.shape):
        raise ShapeError(f"{where}: {name!r} has shape {tuple(value.shape)} but the parameter "
                         f"has shape {tuple(p.shape)}")
    on_device = backend.to_device(value, backend.device_of(p._array))
    return on_device.astype(p._array.dtype, copy=True)
