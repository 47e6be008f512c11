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

Read next: ``sgd.py`` (the simplest update), then ``adam.py``; ``lr_scheduler.py`` changes
``group["lr"]`` between epochs.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from minidl import backend
from minidl.errors import ShapeError
from minidl.grad_mode import enable_grad
from minidl.tensor import Tensor

ParamsT = Union[Iterable[Tensor], Iterable[Dict[str, Any]]]


def check_hyperparameter(ok: bool, name: str, value: Any, expected: str) -> None:
    """Raise a ValueError naming a hyperparameter whose value is out of range."""
    if not ok:
        raise ValueError(f"Invalid {name} value: {value!r} (expected {expected})")


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    ``params`` is an iterable of Tensors, or of dicts (parameter groups), each with a ``"params"``
    entry and optional per-group hyperparameters that override ``defaults``.
    """

    def __init__(self, params: ParamsT, defaults: Dict[str, Any]):
        self._check_hyperparameters(defaults)
        self.defaults = dict(defaults)
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors or dicts, "
                "got a single Tensor; wrap it in a list: [param]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_hyperparameters(self, group: Dict[str, Any]) -> None:
        """Subclasses raise ValueError (via ``check_hyperparameter``) for out-of-range values."""

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters, e.g. a layer unfrozen during fine-tuning."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group must have a 'params' entry (a list of Tensors)")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            # A set's order changes between runs, and state_dict() identifies params by position.
            raise TypeError(
                "optimizer parameters must be in an ordered collection (a list), not a set"
            )
        group["params"] = list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                # Its .grad is not kept and its data is recomputed from its inputs each forward.
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others); "
                                 "optimize the leaves it was computed from")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        # A parameter listed twice would be updated twice per step: refuse it, in one group or two.
        seen = {p for other in self.param_groups for p in other["params"]}
        for p in group["params"]:
            if p in seen:
                raise ValueError(
                    f"parameter of shape {tuple(p.shape)} appears more than once in the "
                    "optimizer's parameter groups; each parameter may be listed only once"
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
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # not used in this forward pass (or frozen): leave it alone
                    continue
                grad = p.grad._array
                if type(grad) is not type(p._array):  # a .grad set by hand on another device
                    backend.same_device_or_raise(f"{type(self).__name__}.step", [p._array, grad])
                if grad.dtype != p._array.dtype:  # keep state in the parameter's dtype
                    grad = grad.astype(p._array.dtype)
                self._update(p._array, grad, self.state[p], group)
        return loss

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
        """Restore a ``state_dict()`` into an optimizer built over the same parameters.

        Arrays are copied onto each parameter's device in its dtype. The optimizer is left
        unchanged if the snapshot does not fit (group counts, parameter counts, shapes).
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the saved state has {len(saved_groups)} parameter group(s) "
                f"but this optimizer has {len(self.param_groups)}"
            )
        by_index: Dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"load_state_dict: parameter group {i} has {len(group['params'])} "
                    f"parameter(s) but the saved group has {len(saved['params'])}"
                )
            by_index.update(zip((int(j) for j in saved["params"]), group["params"]))
        new_state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for key, per_param in state_dict["state"].items():
            # int(): a snapshot that went through JSON has string keys.
            if int(key) not in by_index:
                raise ValueError(f"load_state_dict: state for parameter {key} has no parameter")
            p = by_index[int(key)]
            new_state[p] = {name: _restore(value, p, name, key)
                            for name, value in per_param.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {name: value for name, value in saved.items() if name != "params"}
            new_group["params"] = group["params"]
            self._check_hyperparameters(new_group)
            new_groups.append(new_group)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        lines.append(")")
        return "\n".join(lines)


def _restore(value: Any, p: Tensor, name: str, key: Any) -> Any:
    """A saved state entry as the optimizer needs it: arrays copied to ``p``'s device and dtype."""
    if not _is_array(value):
        return value
    if tuple(value.shape) != tuple(p.shape):
        raise ShapeError(
            f"load_state_dict: state {name!r} of parameter {key} has shape {tuple(value.shape)} "
            f"but the parameter has shape {tuple(p.shape)}"
        )
    on_device = backend.to_device(value, backend.device_of(p._array))
    return on_device.astype(p._array.dtype, copy=True)
