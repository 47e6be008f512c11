"""Module: the base class of every layer and model.

A Module owns three kinds of registered things, found by *assigning* them to attributes:

* Parameters  (``self.weight = Parameter(...)``)  -- learned; returned by ``parameters()``;
* buffers     (``self.register_buffer("running_mean", t)``) -- state that is saved with the
  model but not learned (running statistics);
* submodules  (``self.fc = Linear(...)``) -- searched recursively by all of the above.

``__setattr__`` sorts each assigned value into ``_parameters``, ``_buffers`` or ``_modules``;
``__getattr__`` finds it there again. Everything else -- ``train()``/``eval()``, ``to(device)``,
``state_dict()``/``load_state_dict()``, ``zero_grad()``, the nested ``repr`` -- is a walk over
those three dictionaries. Names, signatures and semantics follow ``torch.nn.Module``.

Read next: ``minidl/nn/state_checks.py`` (what load_state_dict checks), then ``containers.py``
(Sequential, ModuleList) and ``layers/linear.py``.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, Optional, Set, Tuple

import numpy as np

from minidl import backend
from minidl.config_checks import ConfigKeyError, ConfigTypeError
from minidl.errors import ConfigError, DTypeError
from minidl.grad_mode import no_grad
from minidl.handles import RemovableHandle
from minidl.nn import hooks
from minidl.nn.parameter import Parameter
from minidl.nn.state_checks import checked_state
from minidl.tensor import Tensor, parse_to_arguments

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _indent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (for nested reprs)."""
    lines = text.split("\n")
    return "\n".join(lines[:1] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of layers and models: subclass it, assign parameters and submodules in
    ``__init__`` (after ``super().__init__()``), and write ``forward``. Call the module, not
    ``forward``: ``module(x)`` also runs the forward hooks."""

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dictionaries to exist first.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: forward() is not implemented; "
                                  "subclasses of Module must define it")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the pre-hooks, ``forward`` and the hooks. A pre-hook ``hook(module, args)`` may
        return new args; a hook ``hook(module, args, output)`` may return a new output."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        return RemovableHandle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` in each backward pass through this module;
        it may return a new grad_input. How it works: ``minidl/nn/hooks.py``."""
        return hooks.register_full_backward_hook(self, hook)

    # -- registration -----------------------------------------------------------------------
    def _check_name(self, name: Any, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register a {kind} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        if not isinstance(name, str):
            raise ConfigTypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise ConfigKeyError(f"{kind} name must be a non-empty string without '.', got "
                                 f"{name!r}")

    def _discard(self, name: str, keep: Optional[dict] = None) -> None:
        """Forget ``name`` wherever it was registered, except in ``keep``, the dictionary about
        to receive it (so that re-assigning a parameter keeps its place in the order)."""
        for store in (self.__dict__, self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register ``param`` (a Parameter, or None for "no such parameter", e.g. no bias)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise ConfigTypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (minidl.nn.Parameter or None required)")
        self._discard(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor],
                        persistent: bool = True) -> None:
        """Register a Tensor that is state but not learned. Persistent buffers are part of
        ``state_dict()``; all buffers move with ``to()``."""
        self._check_name(name, "buffer")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise ConfigKeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ConfigTypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (minidl Tensor or None required)")
        self._discard(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Optional[Module]) -> None:
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise ConfigTypeError(f"{type(self).__name__}: cannot add module {name!r}: "
                                  f"{type(module).__name__} is not a Module subclass")
        self._discard(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif name in self.__dict__.get("_parameters", ()):
            self.register_parameter(name, value)  # only None is accepted here
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise ConfigTypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (Module or None expected)")
            self._modules[name] = None
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise ConfigTypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Called only when ordinary lookup fails: registered things live in the dictionaries.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._discard(name)
        else:
            object.__delattr__(self, name)

    # -- walking the tree -------------------------------------------------------------------
    def named_modules(self, memo: Optional[Set[Module]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Module]]:
        """This module and all below it, depth first, each once (by default)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))  # a parameter shared by two layers is yielded once
                yield _join(module_prefix, name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """("fc.weight", Parameter) pairs in registration order, shared parameters once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``"encoder.fc1"`` ("" is ``self``)."""
        if not isinstance(target, str):
            raise ConfigTypeError(f"get_submodule: the target must be a dotted name such as "
                                  f"'encoder.fc1', got {type(target).__name__}")
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule '{part}' "
                                     f"(looking up '{target}')")
            module = module._modules[part]
        return module

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first), then on ``self``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule (Dropout and BatchNorm read it)."""
        if not isinstance(mode, bool):
            raise ConfigError(f"train: mode is expected to be a bool, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: Dropout becomes the identity, BatchNorm uses running stats."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``.grad = None`` (default), or fresh zeros."""
        for p in self.parameters():
            if p.grad is not None:
                xp = backend.get_array_module(p.grad._array)
                p.grad = None if set_to_none else Tensor._make(xp.zeros_like(p.grad._array),
                                                                False)

    # -- devices and dtypes -----------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)`` or both, in place; returns ``self``.

        Parameters stay the same objects (only their ``._array`` is replaced), so an optimizer
        built before ``.to()`` keeps working. A dtype applies to floating-point parameters and
        buffers only (integer buffers such as counters keep theirs), as in PyTorch."""
        device, dtype = parse_to_arguments("Module.to", args, kwargs)
        if dtype is not None:
            if dtype.kind != "f":
                raise DTypeError(f"Module.to: expected a floating-point dtype, got {dtype}")

        def convert(t: Tensor) -> None:
            array = t._array
            if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
                array = array.astype(dtype)
            if device is not None:
                array = backend.to_device(array, device)
            if array is not t._array:
                t._array = array
                t._shared_counter()[0] += 1  # a graph that saved the old array must not use it

        for module in self.modules():
            for t in list(module._parameters.values()) + list(module._buffers.values()):
                if t is not None:
                    convert(t)
                    if t.grad is not None:
                        convert(t.grad)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Module:
        return self.to(f"cuda:{index}")

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # -- saving and loading -----------------------------------------------------------------
    def state_dict(self, destination: Optional[Dict[str, Tensor]] = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Name -> Tensor for every parameter and persistent buffer: this module's own first,
        then each submodule's under ``"child."``. Values are detached and share memory with
        the model (copy them to keep a snapshot)."""
        destination = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this model's parameters and buffers, in place,
        keeping their dtype and device. All or nothing: every value is checked and converted
        first, and every problem is reported in one StateDictError (missing and unexpected
        keys when ``strict``; always: values that are not numeric arrays, shapes that differ,
        floating-point values for integer buffers); only then is anything copied, so a failed
        load leaves the model as it was. Returns (missing, unexpected)."""
        own = self.state_dict(keep_vars=True)
        arrays, missing, unexpected = checked_state(type(self).__name__, own, state_dict, strict)
        with no_grad():
            for key, array in arrays.items():
                own[key].copy_(array)  # same shape, dtype and device: this cannot fail
        return IncompatibleKeys(missing, unexpected)

    # -- display ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside ``Name(...)``; layers override it (``in_features=3, ...``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        lines += [f"({name}): {_indent(repr(module), 2)}"
                  for name, module in self._modules.items()]
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"
