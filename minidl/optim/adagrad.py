"""Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients seen so far.

Read next: ``rmsprop.py``, which replaces the ever-growing sum with a running average.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011; ``torch.optim.Adagrad``, same update).

    With gradient ``g``, step count ``t`` (1 on the first step), learning rate ``lr``, learning
    rate decay ``η``, weight decay ``λ`` and accumulator ``s`` (starts at
    ``initial_accumulator_value``), one step is::

        g ← -g                       if maximize
        g ← g + λ θ                  if λ ≠ 0
        lr_t ← lr / (1 + (t - 1) η)
        s ← s + g²
        θ ← θ - lr_t g / (√s + eps)  (eps outside the root)

    Coordinates with large past gradients take small steps; ``s`` only grows, so every step
    size decays, which suits convex problems and sparse features more than long deep-net training.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, maximize: bool = False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number(owner, name, group[name], 0)
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "sum": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            # full_like keeps the parameter's dtype and device.
            state["sum"] = xp.full_like(param, float(group["initial_accumulator_value"]))
        state["step"] += 1
        weight_decay = float(group["weight_decay"])  # Python floats keep float32 arrays float32
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        lr_t = float(group["lr"]) / (1 + (state["step"] - 1) * float(group["lr_decay"]))
        state["sum"] += grad * grad
        param -= lr_t * grad / (xp.sqrt(state["sum"]) + float(group["eps"]))
