"""Adam and AdamW: momentum on the gradient, RMSprop-style scaling, and bias correction.

Read next: ``adadelta.py``, then the other adaptive methods; ``lr_scheduler.py`` changes ``lr``
over training.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Tuple

from minidl.backend import get_array_module
from minidl.config_checks import ConfigTypeError, check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


def decayed_gradient(param: Any, grad: Any, group: Dict[str, Any]) -> Any:
    """What every Adam-family step does first: the gradient negated under ``maximize``, then
    weight decay, added to the gradient as L2 (``g + wd * p``) or, when the group's
    ``decoupled_weight_decay`` is set (AdamW's rule), applied to the parameter in place
    (``p *= 1 - lr * wd``)."""
    lr, weight_decay = float(group["lr"]), float(group["weight_decay"])
    if group["maximize"]:
        grad = -grad
    if weight_decay != 0 and group["decoupled_weight_decay"]:
        param *= 1 - lr * weight_decay
    elif weight_decay != 0:
        grad = grad + weight_decay * param
    return grad


def update_moments(state: Dict[str, Any], grad: Any, beta1: float, beta2: float) -> None:
    """The two moving averages, in place: m = beta1 m + (1 - beta1) g and
    v = beta2 v + (1 - beta2) g^2."""
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (grad * grad)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015; ``torch.optim.Adam``, same update).

    With gradient ``g``, step count ``t`` (1 on the first step), ``betas = (β1, β2)`` and weight
    decay ``λ``; the moments ``m`` and ``v`` start at zero::

        g ← -g                          if maximize
        g ← g + λ θ                     if λ ≠ 0  (L2 penalty; decoupled_weight_decay=True
                                         shrinks θ ← θ (1 - lr λ) instead: AdamW)
        m ← β1 m + (1 - β1) g           (momentum: running mean of g)
        v ← β2 v + (1 - β2) g²          (running mean of g², as in RMSprop)
        v ← v_max ← max(v_max, v)       if amsgrad (the denominator never shrinks)
        m̂ ← m / (1 - β1^t)              (bias correction: m and v start at 0, so early
        v̂ ← v / (1 - β2^t)               averages are too small by exactly these factors)
        θ ← θ - lr m̂ / (√v̂ + eps)       (eps outside the root)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        # decoupled_weight_decay is a group setting, as in PyTorch (AdamW sets it True)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number(owner, name, group[name], 0)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ConfigTypeError(f"{owner}: invalid betas value: {betas!r} (expected a pair "
                                  "(beta1, beta2), e.g. (0.9, 0.999))")
        for i, beta in enumerate(betas):
            check_number(owner, f"betas[{i}]", beta, 0, 1, high_open=True)
        check_bool(owner, "amsgrad", group["amsgrad"])
        check_bool(owner, "maximize", group["maximize"])
        check_bool(owner, "decoupled_weight_decay", group["decoupled_weight_decay"])

    def _restore_group(self, owner: str, g: int, group: Dict[str, Any], saved: Any):
        # a checkpoint saved before decoupled_weight_decay was a setting holds this class's rule
        if isinstance(saved, dict) and "decoupled_weight_decay" not in saved:
            saved = {**saved, "decoupled_weight_decay": self.defaults["decoupled_weight_decay"]}
        return super()._restore_group(owner, g, group, saved)

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        spec = {"step": COUNT, "exp_avg": ARRAY, "exp_avg_sq": ARRAY}
        if group["amsgrad"]:
            spec["max_exp_avg_sq"] = ARRAY
        return spec

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        lr = float(group["lr"])  # Python floats keep float32 arrays float32
        beta1, beta2 = (float(beta) for beta in group["betas"])
        grad = decayed_gradient(param, grad, group)
        update_moments(state, grad, beta1, beta2)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if group["amsgrad"]:
            # The max is kept of the uncorrected v (as PyTorch does), then bias-corrected below.
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        # Bias corrections are applied to scalars, not to whole arrays: lr/(1-β1^t) and √(1-β2^t).
        denom = xp.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + float(group["eps"])
        param -= (lr / (1 - beta1 ** step)) * (exp_avg / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019; ``torch.optim.AdamW``).

    The same as Adam, except that weight decay shrinks the parameter directly before the Adam
    step, instead of being added to the gradient::

        θ ← θ (1 - lr λ)
        ... Adam's update with λ = 0 ...

    With L2-in-the-gradient (Adam's ``weight_decay``) the penalty is divided by ``√v̂`` like the
    rest of the gradient, so parameters with large gradients are barely decayed; decoupling makes
    every parameter decay at the same rate ``lr λ``. The default ``weight_decay`` is 0.01.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
