"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

Read next: ``ewa_momentum.py``, the course notes' form of momentum; then ``rmsprop.py`` and
``adam.py``, which divide the step by a running gradient scale.
"""
from __future__ import annotations

from typing import Any, Dict

from minidl.config_checks import check_bool, check_number
from minidl.errors import ConfigError
from minidl.optim.optimizer import ARRAY, Optimizer, ParamsT


class SGD(Optimizer):
    r"""Stochastic gradient descent (``torch.optim.SGD``, same update).

    With gradient ``g`` of parameter ``θ``, learning rate ``lr``, momentum ``μ``, dampening ``τ``
    and weight decay ``λ``, one step is::

        g ← -g                      if maximize
        g ← g + λ θ                 if λ ≠ 0     (L2 penalty λ/2 ||θ||², folded into g)
        if μ ≠ 0:
            b ← g                   on the first step (no dampening: the buffer starts at g)
            b ← μ b + (1 - τ) g     afterwards
            g ← g + μ b             if nesterov  (look ahead along the buffer)
            g ← b                   otherwise
        θ ← θ - lr g

    **Two momentum conventions.** PyTorch's default (``τ = 0``) sums gradients: ``b ← β b + g``.
    Many courses write momentum as an exponentially weighted average (EWA) that starts at zero:
    ``v ← β v + (1 - β) g``. Unrolled, ``v_t = (1 - β) b_t`` exactly, so the EWA form with learning
    rate ``lr`` takes the same steps as PyTorch's form with ``lr * (1 - β)``: for a constant
    gradient both settle at a step of ``lr * g`` (EWA) versus ``lr * g / (1 - β)`` (PyTorch, same
    lr), a factor of 10 for β = 0.9. Passing ``dampening=momentum`` gives the EWA form here, except
    that the buffer starts at ``g`` rather than ``(1 - β) g``, a difference that fades as ``β^t``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
                 maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        check_number(owner, "lr", group["lr"], 0)
        check_number(owner, "momentum", group["momentum"], 0)
        check_number(owner, "dampening", group["dampening"], 0, 1)
        check_number(owner, "weight_decay", group["weight_decay"], 0)
        check_bool(owner, "nesterov", group["nesterov"])
        check_bool(owner, "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ConfigError(
                f"{owner}: invalid nesterov value: True: Nesterov momentum requires momentum > 0 "
                f"and dampening = 0, got momentum={group['momentum']!r}, "
                f"dampening={group['dampening']!r}"
            )

    def _state_spec(self, group: Dict[str, Any]) -> Dict[str, str]:
        return {"momentum_buffer": ARRAY} if group["momentum"] != 0 else {}

    def _update(self, param: Any, grad: Any, state: Dict[str, Any], group: Dict[str, Any]) -> None:
        # float(): hyperparameters may arrive as NumPy scalars (from a schedule or a checkpoint);
        # a NumPy float64 scalar would promote float32 arrays to float64, a Python float does not.
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        weight_decay = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = grad.copy()  # a copy: grad may still be the parameter's .grad array
                state["momentum_buffer"] = buf
            else:
                buf *= momentum
                dampening = float(group["dampening"])
                if dampening == 0:
                    buf += grad  # PyTorch's default: no temporary array for (1 - 0) * grad
                else:
                    buf += (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= lr * grad
