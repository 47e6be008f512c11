"""Rprop: resilient backpropagation, a step size per weight grown or shrunk by the gradient's sign.

Read next: ``asgd.py``, averaged stochastic gradient descent.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

from minidl.backend import get_array_module
from minidl.config_checks import ConfigTypeError, check_bool, check_number
from minidl.errors import ConfigError
from minidl.optim.optimizer import ARRAY, COUNT, Optimizer, ParamsT


def _check_pair(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ConfigTypeError(f"{owner}: invalid {name} value: {value!r} (expected a pair)")
    for i, number in enumerate(value):
        check_number(owner, f"{name}[{i}]", number)


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993; ``torch.optim.Rprop``, same update, "Rprop-" with
    PyTorch's skip of the step after a sign change).

    Only the gradient's sign is used. Each weight keeps its own step size ``Δ`` (starts at
    ``lr``) and its previous gradient ``g'`` (starts at 0); with ``etas = (η-, η+)`` and
    ``step_sizes = (Δmin, Δmax)``::

        g ← -g                          if maximize
        Δ ← clamp(η+ Δ, Δmin, Δmax)     if g g' > 0   (same direction: speed up)
        Δ ← clamp(η- Δ, Δmin, Δmax)     if g g' < 0   (overshot a minimum: slow down)
        g ← 0                           if g g' < 0   (and do not step this time)
        θ ← θ - sign(g) Δ
        g' ← g

    Since the gradient's size is ignored, Rprop suits full-batch training, where its sign is
    reliable; with mini-batches the signs flip at random and the step sizes shrink.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, etas: Tuple[float, float] = (0.5, 1.2),
                 step_sizes: Tuple[float, float] = (1e-6, 50), *, maximize: bool = False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        check_number(owner, "lr", group["lr"], 0)
        _check_pair(owner, "etas", group["etas"])
        _check_pair(owner, "step_sizes", group["step_sizes"])
        etaminus, etaplus = group["etas"]
        if not 0 < etaminus < 1 < etaplus:
            raise ConfigError(f"{owner}: invalid etas value: {tuple(group['etas'])!r} "
                              "(expected 0 < etaminus < 1 < etaplus)")
        check_bool(owner, "maximize", group["maximize"])

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"step": COUNT, "prev": ARRAY, "step_size": ARRAY}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param)
            state["step_size"] = xp.full_like(param, float(group["lr"]))
        state["step"] += 1
        etaminus, etaplus = (float(eta) for eta in group["etas"])
        low, high = (float(size) for size in group["step_sizes"])
        if group["maximize"]:
            grad = -grad
        direction = xp.sign(grad * state["prev"])
        factor = xp.where(direction > 0, etaplus, xp.where(direction < 0, etaminus, 1.0))
        step_size = state["step_size"]
        step_size *= factor.astype(param.dtype, copy=False)
        xp.clip(step_size, low, high, out=step_size)
        grad = xp.where(direction < 0, 0, grad).astype(param.dtype, copy=False)
        param -= xp.sign(grad) * step_size
        state["prev"][...] = grad
