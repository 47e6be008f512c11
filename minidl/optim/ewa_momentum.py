"""Momentum as the course notes write it: an exponentially weighted average of the gradients.

Read next: ``adagrad.py``, the first of the adaptive methods; ``sgd.py``'s ``momentum`` is this
method under PyTorch's convention, and ``adam.py`` uses this average with bias correction.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class EWAMomentum(Optimizer):
    r"""Momentum as an exponentially weighted average (EWA) of the gradients, started at zero.

    With gradient ``g``, step count ``t`` (1 on the first step), smoothing ``β`` and weight decay
    ``λ``; the average ``v`` starts at zero::

        g ← -g                      if maximize
        g ← g + λ θ                 if λ ≠ 0     (L2 penalty λ/2 ||θ||², folded into g)
        v ← β v + (1 - β) g
        v̂ ← v / (1 - β^t)           if bias_correction (as Adam's m̂)
        v̂ ← v                       otherwise    (the notes' form)
        θ ← θ - lr v̂

    **The same method as PyTorch's momentum, at another learning rate.** ``SGD(momentum=β)`` keeps
    a sum ``b ← β b + g`` (its first step sets ``b = g``, which is ``β·0 + g``: a sum started at
    zero too). If ``v = (1 - β) b`` before a step, then after it
    ``v = β (1 - β) b + (1 - β) g = (1 - β)(β b + g)``, again ``(1 - β) b``; both start at 0, so
    ``v_t = (1 - β) b_t`` at every step. Hence ``EWAMomentum(lr=η, beta=β)`` takes exactly the
    steps of ``SGD(lr=η(1 - β), momentum=β)``: same points, same gradients, up to rounding.
    For a steady gradient the EWA's step tends to ``η g`` and PyTorch's to ``lr g / (1 - β)``.

    **Start-up bias.** Unrolled, ``v_t = (1 - β) Σ_{s≤t} β^(t-s) g_s``: the weights sum to
    ``1 - β^t``, not 1, so for a steady gradient ``v_t = (1 - β^t) g``; the first step is
    ``(1 - β)`` times the gradient (0.1 for β = 0.9) and the average is still 35% short after 10
    steps (0.9^10 = 0.35). Dividing by ``1 - β^t`` (``bias_correction=True``) makes the weights
    sum to 1.

    **Not** ``SGD(momentum=β, dampening=β)``: its sum ``b ← β b + (1 - β) g`` starts at ``b = g``
    (PyTorch does not dampen the first step), so for the same gradients ``b_t = v_t + β^t g_1``:
    an average started at the first gradient instead of at zero. Its first step is ``lr g_1``,
    ``1 / (1 - β)`` times this optimizer's first step at the same ``lr``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, beta: float = 0.9,
                 bias_correction: bool = False, weight_decay: float = 0, maximize: bool = False):
        defaults = dict(lr=lr, beta=beta, bias_correction=bias_correction,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        check_number(owner, "lr", group["lr"], 0)
        # β = 1 would keep v at 0 forever (and divide by 1 - 1^t = 0 with bias correction).
        check_number(owner, "beta", group["beta"], 0, 1, high_open=True)
        check_bool(owner, "bias_correction", group["bias_correction"])
        check_number(owner, "weight_decay", group["weight_decay"], 0)
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "exp_avg": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = get_array_module(param).zeros_like(param)  # v starts at 0
        state["step"] += 1
        lr = float(group["lr"])  # Python floats keep float32 arrays float32
        beta = float(group["beta"])
        weight_decay = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        exp_avg = state["exp_avg"]
        exp_avg *= beta
        exp_avg += (1 - beta) * grad
        if group["bias_correction"]:
            lr = lr / (1 - beta ** state["step"])  # on the scalar, not on the whole array
        param -= lr * exp_avg
