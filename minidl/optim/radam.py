"""RAdam: Adam whose adaptive step is switched on gradually, as ``v`` becomes trustworthy.

Read next: ``lbfgs.py``, a quasi-Newton method that re-evaluates the loss within a step.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Tuple

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.adam import decayed_gradient, update_moments
from minidl.optim.adamax import check_betas
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class RAdam(Optimizer):
    r"""RAdam, rectified Adam (Liu et al., 2020; ``torch.optim.RAdam``, same update).

    With gradient ``g``, step count ``t`` (1 on the first step), ``betas = (β1, β2)`` and weight
    decay ``λ``; ``m`` and ``v`` start at zero::

        g ← -g                                    if maximize
        θ ← θ (1 - lr λ)                          if decoupled_weight_decay (as AdamW)
        g ← g + λ θ                               otherwise, if λ ≠ 0
        m ← β1 m + (1 - β1) g ;   m̂ ← m / (1 - β1^t)
        v ← β2 v + (1 - β2) g²
        ρ∞ ← 2 / (1 - β2) - 1 ;   ρ_t ← ρ∞ - 2 t β2^t / (1 - β2^t)
        if ρ_t > 5:   r ← √((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))
                      θ ← θ - lr m̂ r √(1 - β2^t) / (√v + eps)
        else:         θ ← θ - lr m̂                (plain momentum SGD)

    ``ρ_t`` is the length of the simple moving average that the exponential average ``v``
    approximates; while it is short (the first few steps) the variance of ``1/√v`` is too large
    to use, and the rectifier ``r`` then grows towards 1 as it shrinks: a warm-up with no knob.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False,
                 maximize: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number(owner, name, group[name], 0)
        check_betas(owner, group["betas"])
        check_bool(owner, "decoupled_weight_decay", group["decoupled_weight_decay"])
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "exp_avg": ARRAY, "exp_avg_sq": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        lr = float(group["lr"])  # Python floats keep float32 arrays float32
        beta1, beta2 = (float(beta) for beta in group["betas"])
        grad = decayed_gradient(param, grad, group)
        update_moments(state, grad, beta1, beta2)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t <= 5:  # too few steps for a usable variance estimate: momentum SGD
            param -= step_size * exp_avg
            return
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                         ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + float(group["eps"]))
        param -= (step_size * rect) * (exp_avg * adaptive)
