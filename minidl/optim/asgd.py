"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging of SGD's iterates).

Read next: ``lr_scheduler.py``, which changes ``lr`` over training.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.backend import get_array_module
from minidl.config_checks import check_bool, check_number
from minidl.optim.nadam import NUMBER  # a float kept per parameter (eta, mu)
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992; Bottou, 2012; ``torch.optim.ASGD``, same update).

    Plain SGD with a decaying step size, plus a running average ``ax`` of the iterates, which
    converges faster than the iterates themselves do on noisy convex problems. With step count
    ``t`` (1 on the first step), ``eta`` starting at ``lr`` and ``mu`` at 1::

        g ← -g                                   if maximize
        g ← g + λ_wd θ                           if weight_decay ≠ 0
        θ ← (1 - lambd eta) θ - eta g            (lambd: a decay of θ itself)
        ax ← θ                                   if mu = 1
        ax ← ax + mu (θ - ax)                    otherwise (the mean of the iterates since t0)
        eta ← lr / (1 + lambd lr t)^alpha
        mu ← 1 / max(1, t - t0)

    The parameters keep the SGD iterates; the average is ``optimizer.state[p]["ax"]``, to be
    copied into the model for evaluation (as in PyTorch, the optimizer never does it).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        for name in ("lr", "weight_decay"):
            check_number(owner, name, group[name], 0)
        for name in ("lambd", "alpha", "t0"):
            check_number(owner, name, group[name])
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "eta": NUMBER, "mu": NUMBER, "ax": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        lr, lambd = float(group["lr"]), float(group["lambd"])
        if not state:
            state["step"] = 0
            state["eta"] = lr
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(param)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * param
        eta = float(state["eta"])
        param *= 1 - lambd * eta
        param -= eta * grad
        ax = state["ax"]
        if state["mu"] != 1:
            ax += (param - ax) * float(state["mu"])
        else:
            ax[...] = param
        step = state["step"]
        state["eta"] = lr / (1 + lambd * lr * step) ** float(group["alpha"])
        state["mu"] = 1 / max(1, step - float(group["t0"]))
