"""Adamax: Adam with the infinity norm of past gradients in the denominator.

Also holds ``check_betas``, the check that Adamax, NAdam and RAdam share.

Read next: ``nadam.py``, Adam with Nesterov momentum.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

from minidl.backend import get_array_module
from minidl.config_checks import ConfigTypeError, check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


def check_betas(owner: str, betas: Any) -> None:
    """``betas`` is a pair of averaging coefficients, each in [0, 1) (as PyTorch checks)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ConfigTypeError(f"{owner}: invalid betas value: {betas!r} (expected a pair "
                              "(beta1, beta2), e.g. (0.9, 0.999))")
    for i, beta in enumerate(betas):
        check_number(owner, f"betas[{i}]", beta, 0, 1, high_open=True)


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7.1; ``torch.optim.Adamax``, same update).

    With gradient ``g``, step count ``t`` (1 on the first step), ``betas = (β1, β2)`` and weight
    decay ``λ``; the moment ``m`` and the norm ``u`` start at zero::

        g ← -g                            if maximize
        g ← g + λ θ                       if λ ≠ 0
        m ← β1 m + (1 - β1) g
        u ← max(β2 u, |g| + eps)          (an exponentially weighted infinity norm)
        θ ← θ - lr / (1 - β1^t) · m / u

    Adam's ``v`` is a weighted L2 norm of past gradients; letting the power go to infinity gives
    this max, which needs no bias correction (a max of zeros and |g| is not biased towards 0).
    PyTorch adds ``eps`` inside the max (not in the denominator), so ``u`` is never zero.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, maximize: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number(owner, name, group[name], 0)
        check_betas(owner, group["betas"])
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "exp_avg": ARRAY, "exp_inf": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_inf"] = xp.zeros_like(param)
        state["step"] += 1
        beta1, beta2 = (float(beta) for beta in group["betas"])
        weight_decay = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + float(group["eps"]), out=exp_inf)
        step_size = float(group["lr"]) / (1 - beta1 ** state["step"])
        param -= step_size * (exp_avg / exp_inf)
