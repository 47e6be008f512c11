"""LayerStats: per-layer statistics of a model, gathered by hooks while it trains.

Forward hooks (``module.register_forward_hook``, ``module.py``) see each layer's output; a tensor
hook on that output (``tensor.register_hook``) sees the gradient that reaches it in the backward
pass. From these, ``LayerStats`` keeps, per layer, the activations' mean and std, the fraction of
dead ReLU units and the gradient norms, and prints them as a table: ``print(stats.table())``.
Exploding or vanishing gradients and dying ReLUs show up there first.

Read next: ``minidl/nn/utils.py``; ``minidl/backward_trace.py`` lists the backward pass step by
step (and its ``norm`` is used here).
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Dict, Iterable, List, Optional

from minidl import backend
from minidl.backward_trace import norm
from minidl.config_checks import ConfigKeyError
from minidl.grad_mode import is_grad_enabled
from minidl.handles import RemovableHandle
from minidl.nn.layers.activation import ReLU
from minidl.tensor import Tensor


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3g}"


class LayerStats:
    """Per-layer statistics of a model, gathered by hooks at every forward and backward pass:
    the output's shape, mean and std, the fraction of dead units (ReLU layers: units that are
    0 for every sample of the batch), the norm of the gradient reaching the output, and the
    norm of the layer's parameter gradients. ``table()`` shows the latest batch.

        with LayerStats(model) as stats:
            for step, (x, y) in enumerate(loader):
                ...  # zero_grad, forward, backward, step
                if step % 100 == 0:
                    print(stats.table())

    ``modules``: names (from ``model.named_modules()``) to watch; by default every layer
    without submodules."""

    def __init__(self, model: Any, modules: Optional[Iterable[str]] = None):
        wanted = None if modules is None else set(modules)
        self.modules: Dict[str, Any] = {}
        self.rows: Dict[str, Dict[str, Any]] = {}
        self._handles: List[RemovableHandle] = []
        for name, m in model.named_modules():
            if (wanted is None and next(m.children(), None) is not None) or (
                    wanted is not None and name not in wanted):
                continue
            name = name or type(m).__name__
            self.modules[name] = m
            self.rows[name] = {}
            self._handles.append(m.register_forward_hook(partial(self._forward, name)))
        if wanted is not None and wanted - set(self.modules):
            raise ConfigKeyError(f"LayerStats: no submodule named "
                                 f"{sorted(wanted - set(self.modules))}; the model has "
                                 f"{sorted(n for n, _ in model.named_modules() if n)}")

    def _forward(self, name: str, module: Any, args: tuple, output: Any) -> None:
        if not isinstance(output, Tensor) or output.dtype.kind != "f":
            return
        xp = backend.get_array_module(output._array)
        data = output._array
        row = self.rows[name]
        row["shape"] = tuple(data.shape)
        row["mean"] = float(data.mean())
        row["std"] = float(data.std())
        if isinstance(module, ReLU) and data.ndim > 1:
            row["dead"] = float(xp.all(data == 0, axis=0).mean())
        row["grad_out"] = None
        if output.requires_grad and is_grad_enabled():
            output.register_hook(partial(self._backward, name))

    def _backward(self, name: str, g: Tensor) -> None:
        self.rows[name]["grad_out"] = norm(g._array)

    def param_grad_norm(self, name: str) -> Optional[float]:
        """The norm of all of a layer's own parameter gradients together (None if none)."""
        squares = [norm(p.grad._array) ** 2 for p in self.modules[name].parameters(recurse=False)
                   if p.grad is not None]
        return math.sqrt(sum(squares)) if squares else None

    def table(self) -> str:
        """The latest statistics, one line per layer."""
        header = (f"{'layer':<16}{'type':<12}{'output':<18}{'mean':>9}{'std':>9}{'dead':>7}"
                  f"{'|grad out|':>12}{'|grad W|':>10}")
        lines = [header]
        for name, row in self.rows.items():
            dead = row.get("dead")
            lines.append(
                f"{name:<16}{type(self.modules[name]).__name__:<12}"
                f"{str(row.get('shape', '-')):<18}{_fmt(row.get('mean')):>9}"
                f"{_fmt(row.get('std')):>9}{'-' if dead is None else f'{dead:.0%}':>7}"
                f"{_fmt(row.get('grad_out')):>12}{_fmt(self.param_grad_norm(name)):>10}")
        return "\n".join(lines)

    def remove(self) -> None:
        """Unregister every hook: the model runs as if never watched."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> LayerStats:
        return self

    def __exit__(self, *exc) -> bool:
        self.remove()
        return False
