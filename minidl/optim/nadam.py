"""NAdam: Adam with Nesterov momentum (the gradient step looks ahead along the momentum).

Read next: ``radam.py``, Adam with a warm-up worked out from the variance of ``v``.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Tuple

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.adam import decayed_gradient, update_moments
from minidl.optim.adamax import check_betas
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT

# The base class keeps an entry of this kind as saved (Π is a plain float, not an array).
NUMBER = "number"


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016; ``torch.optim.NAdam``, same update).

    With gradient ``g``, step count ``t`` (1 on the first step), ``betas = (β1, β2)``, momentum
    decay ``ψ`` and weight decay ``λ``; ``m`` and ``v`` start at zero and the product ``Π`` at 1::

        g ← -g                                    if maximize
        θ ← θ (1 - lr λ)                          if decoupled_weight_decay (as AdamW)
        g ← g + λ θ                               otherwise, if λ ≠ 0
        μ_t ← β1 (1 - ½ · 0.96^(t ψ))             (a momentum that grows slowly towards β1)
        Π ← Π μ_t
        m ← β1 m + (1 - β1) g
        v ← β2 v + (1 - β2) g²
        d ← √(v / (1 - β2^t)) + eps
        θ ← θ - lr (1 - μ_t) / (1 - Π) · g / d - lr μ_{t+1} / (1 - Π μ_{t+1}) · m / d

    The two terms are Nesterov's look-ahead: the current gradient with this step's weight, plus
    the momentum with *next* step's weight, each bias-corrected by the product of the μ's.
    ``Π`` is kept in ``state["mu_product"]`` as a number.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, maximize: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay", "momentum_decay"):
            check_number(owner, name, group[name], 0)
        check_betas(owner, group["betas"])
        check_bool(owner, "decoupled_weight_decay", group["decoupled_weight_decay"])
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "mu_product": NUMBER, "exp_avg": ARRAY, "exp_avg_sq": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        lr = float(group["lr"])  # Python floats keep float32 arrays float32
        beta1, beta2 = (float(beta) for beta in group["betas"])
        momentum_decay = float(group["momentum_decay"])
        grad = decayed_gradient(param, grad, group)
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = float(state["mu_product"]) * mu
        state["mu_product"] = mu_product
        update_moments(state, grad, beta1, beta2)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        denom = xp.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + float(group["eps"])
        param -= (lr * (1 - mu) / (1 - mu_product)) * (grad / denom)
        param -= (lr * mu_next / (1 - mu_product * mu_next)) * (exp_avg / denom)
