"""Adadelta: per-coordinate step sizes from running averages of squared gradients and updates.

Read next: ``adamax.py``, Adam with an infinity norm in the denominator.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012; ``torch.optim.Adadelta``, same update).

    With gradient ``g``, decay ``ρ`` and weight decay ``λ``; the running averages ``v`` (of g²)
    and ``u`` (of the squared updates) start at zero::

        g ← -g                                  if maximize
        g ← g + λ θ                             if λ ≠ 0
        v ← ρ v + (1 - ρ) g²
        Δ ← √(u + eps) / √(v + eps) · g         (eps inside both roots)
        u ← ρ u + (1 - ρ) Δ²
        θ ← θ - lr Δ

    The ratio of the two root-mean-squares has the units of θ, so the paper needs no learning
    rate at all; ``lr`` (default 1.0, as in the paper) only scales the step. The first steps are
    about ``√eps`` long, since ``u`` starts at zero.
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, maximize: bool = False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number(owner, name, group[name], 0)
        check_number(owner, "rho", group["rho"], 0, 1)
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "square_avg": ARRAY, "acc_delta": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            state["acc_delta"] = xp.zeros_like(param)
        state["step"] += 1
        rho = float(group["rho"])  # Python floats keep float32 arrays float32
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (grad * grad)
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        param -= float(group["lr"]) * delta
