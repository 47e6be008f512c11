"""Full backward hooks on Modules: see the gradients flowing into and out of a layer.

Three kinds of hook let you watch (and change) what flows through a network, as in PyTorch:

* ``tensor.register_hook(hook(grad))``                      a tensor's gradient (tensor.py);
* ``module.register_forward_hook(hook(module, args, out))`` a layer's output (module.py);
* ``module.register_full_backward_hook(hook(module, grad_input, grad_output))``, here: the
  gradients with respect to a layer's inputs and outputs, once both are known.

A full backward hook needs no help from the engine. While the module runs, its tensor inputs and
outputs are passed through ``BackwardHookIdentity`` (y = x), and tensor hooks are put on those
identities. In the backward pass the output identities run first (they were created last) and
record grad_output; the input identities run after everything inside the module, and the last
one calls the module's hooks with both. Whatever a hook returns replaces grad_input.

Read next: ``minidl/nn/layer_stats.py``, which builds per-layer statistics out of forward hooks
and tensor hooks.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, List, Optional

from minidl.errors import AutogradError
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.handles import RemovableHandle
from minidl.tensor import Tensor

_HOOKS = "_full_backward_hooks"  # attribute of a Module: hook id -> hook (lazily created)


class BackwardHookIdentity(Function):
    """y = x;  dy/dx = 1  (the node a Module's backward hooks are attached to)"""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, gy):
        return gy


def register_full_backward_hook(module: Any, hook: Callable) -> RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` in every backward pass through
    ``module``: tuples with one gradient per positional input and per output (None where a
    value is not a tensor or needs no gradient). A hook may return a new ``grad_input``.

    The hook runs once the gradients of all inputs that need one are computed, or, if none
    does, once those of the outputs are (an output that does not reach the loss never gets
    one: then it waits for nothing else). A module with several inputs needing gradients can
    replace only the gradient computed last (the others have already moved on)."""
    hooks = module.__dict__.get(_HOOKS)
    if hooks is None:
        hooks = {}
        object.__setattr__(module, _HOOKS, hooks)
        object.__setattr__(module, "_backward_hook_calls", [])
        module.register_forward_pre_hook(_wrap_inputs)
        module.register_forward_hook(_wrap_outputs)
    return RemovableHandle(hooks, hook)


class _BackwardCall:
    """The gradients of one forward call of a module, collected as the backward pass arrives."""

    def __init__(self, module: Any, hooks: dict, n_inputs: int):
        self.module = module
        self.hooks = hooks
        self.grad_input: List[Optional[Tensor]] = [None] * n_inputs
        self.grad_output: List[Optional[Tensor]] = []
        self.inputs: set = set()  # indices of the inputs (outputs) that get a gradient
        self.outputs: set = set()
        self.inputs_waiting: set = set()  # those whose gradient has not arrived yet
        self.outputs_waiting: set = set()

    def input_grad(self, index: int, g: Tensor) -> Optional[Tensor]:
        self.grad_input[index] = g
        self.inputs_waiting.discard(index)
        if self.inputs_waiting:
            return None
        return self.fire(index)

    def output_grad(self, index: int, g: Tensor) -> None:
        self.grad_output[index] = g
        self.outputs_waiting.discard(index)
        if not self.outputs_waiting and not self.inputs:
            self.fire(None)

    def fire(self, last: Optional[int]) -> Optional[Tensor]:
        """Run the hooks; return the (possibly replaced) gradient of input ``last``."""
        grad_input = tuple(self.grad_input)
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input, tuple(self.grad_output))
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(grad_input):
                raise AutogradError(f"backward hook on {type(self.module).__name__} returned "
                                    f"{len(result)} gradients for {len(grad_input)} inputs")
            for i in self.inputs - {last}:
                if result[i] is not grad_input[i]:
                    raise AutogradError(
                        f"backward hook on {type(self.module).__name__}: the gradient of "
                        f"input {i} was already passed on; only input {last}'s can be replaced")
            grad_input = result
        # Ready for another backward through the same graph (retain_graph=True).
        self.inputs_waiting, self.outputs_waiting = set(self.inputs), set(self.outputs)
        self.grad_input = [None] * len(self.grad_input)
        self.grad_output = [None] * len(self.grad_output)
        return None if last is None else grad_input[last]


def _wraps(value: Any) -> bool:
    return isinstance(value, Tensor) and value.requires_grad


def _wrap_inputs(module: Any, args: tuple) -> Optional[tuple]:
    """Forward pre-hook: pass the inputs that need gradients through identities."""
    hooks = module.__dict__[_HOOKS]
    if not hooks or not is_grad_enabled():
        module._backward_hook_calls.append(None)
        return None
    call = _BackwardCall(module, hooks, len(args))
    module._backward_hook_calls.append(call)
    new_args = list(args)
    for i, a in enumerate(args):
        if _wraps(a):
            new_args[i] = BackwardHookIdentity.apply(a)
            new_args[i].register_hook(partial(call.input_grad, i))
            call.inputs.add(i)
    call.inputs_waiting = set(call.inputs)
    return tuple(new_args)


def _wrap_outputs(module: Any, args: tuple, output: Any) -> Any:
    """Forward hook: pass the outputs that need gradients through identities."""
    call = module._backward_hook_calls.pop()
    if call is None:
        return None
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    call.grad_output = [None] * len(outputs)
    for i, out in enumerate(outputs):
        if _wraps(out):
            outputs[i] = BackwardHookIdentity.apply(out)
            outputs[i].register_hook(partial(call.output_grad, i))
            call.outputs.add(i)
    call.outputs_waiting = set(call.outputs)
    if isinstance(output, (tuple, list)):
        return type(output)(outputs)
    return outputs[0]
