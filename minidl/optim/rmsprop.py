"""RMSprop: divide each step by a running root-mean-square of recent gradients.

Read next: ``adam.py``, which adds momentum on the numerator and bias correction.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; ``torch.optim.RMSprop``, same update).

    With gradient ``g``, smoothing constant ``α``, momentum ``μ`` and weight decay ``λ``; the
    square average ``v``, the gradient average ``ḡ`` and the buffer ``b`` start at zero::

        g ← -g                        if maximize
        g ← g + λ θ                   if λ ≠ 0
        v ← α v + (1 - α) g²
        ṽ ← v - ḡ²  with ḡ ← α ḡ + (1 - α) g      if centered (a variance estimate)
        ṽ ← v                                       otherwise
        d ← g / (√ṽ + eps)            (eps outside the root, as PyTorch; TensorFlow puts it inside)
        b ← μ b + d ;  θ ← θ - lr b   if μ > 0
        θ ← θ - lr d                  otherwise

    Unlike Adam there is no bias correction: ``v`` starts at zero, so early steps are large.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "eps", "weight_decay", "momentum"):
            check_number(owner, name, group[name], 0)
        check_number(owner, "alpha", group["alpha"], 0, 1)
        check_bool(owner, "centered", group["centered"])
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        spec = {"step": COUNT, "square_avg": ARRAY}
        if group["momentum"] > 0:
            spec["momentum_buffer"] = ARRAY
        if group["centered"]:
            spec["grad_avg"] = ARRAY
        return spec

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        alpha = float(group["alpha"])  # Python floats keep float32 arrays float32
        momentum = float(group["momentum"])
        weight_decay = float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            rms = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            rms = xp.sqrt(square_avg)
        direction = grad / (rms + float(group["eps"]))
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += direction
            direction = buf
        param -= float(group["lr"]) * direction
