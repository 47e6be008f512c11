"""Containers: modules that hold other modules.

* ``Sequential(m0, m1, ...)`` -- ``forward`` feeds each module's output to the next;
* ``ModuleList([...])``       -- a list whose modules are registered (no ``forward``);
* ``ModuleDict({...})``       -- a dict whose modules are registered (no ``forward``).

A plain Python list of layers would hide them from ``parameters()``, ``to()`` and
``state_dict()``; these containers register each entry under its index (or key) as name.

Read next: ``minidl/nn/init.py`` (how the layers' weights start).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, Dict, Iterator, Optional, Union

from minidl.config_checks import ConfigKeyError, ConfigTypeError, is_int
from minidl.errors import OutOfRangeError
from minidl.nn.module import Module


def _index(container: Module, idx: int) -> int:
    """A non-negative position for ``idx`` (negative counts from the end)."""
    n = len(container)
    if not is_int(idx):
        # An IndexError, as NumPy and Python lists raise for an index of the wrong kind.
        raise OutOfRangeError(f"{type(container).__name__}: index {idx!r} is not an integer "
                              "or a slice")
    if not -n <= idx < n:
        raise OutOfRangeError(f"{type(container).__name__}: index {idx!r} is out of range "
                              f"for {n} modules")
    return int(idx) % n


def _iterable(owner: str, modules: Any, kind: str = "an iterable of Modules") -> Any:
    """``modules``, refused unless it can be iterated (a single Module cannot)."""
    if isinstance(modules, Module) or not isinstance(modules, Iterable):
        raise ConfigTypeError(f"{owner}: expected {kind}, got {type(modules).__name__}")
    return modules


class Sequential(Module):
    """``Sequential(*modules)`` or ``Sequential(OrderedDict(name=module))``:
    forward(x) = m_n(...m_1(m_0(x)))."""

    def __init__(self, *args: Any):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, idx: Union[int, slice]) -> Module:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(OrderedDict(items[idx]))  # keeps the original names
        return items[_index(self, idx)][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(list(self._modules)[_index(self, idx)], module)

    def __delitem__(self, idx: int) -> None:
        del self._modules[list(self._modules)[_index(self, idx)]]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of registered modules: ``append``, ``extend``, ``insert``, indexing, ``len``,
    iteration. It has no ``forward``: the owner decides how the modules are called."""

    def __init__(self, modules: Optional[Iterable[Module]] = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, modules) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in _iterable("ModuleList.extend", modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, ModuleList]:
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(self, idx)), module)

    def __delitem__(self, idx: int) -> None:
        modules = list(self._modules.values())
        del modules[_index(self, idx)]
        self._renumber(modules)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of registered modules (insertion-ordered): indexing by key, ``keys``,
    ``values``, ``items``, ``update``, ``in``, ``len``; iteration gives the keys."""

    def __init__(self, modules: Optional[Dict[str, Module]] = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules: Dict[str, Module]) -> None:
        """Add ``modules``: a dict of name -> Module, or (name, Module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else \
            list(_iterable("ModuleDict.update", modules, "a dict of name -> Module"))
        if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in pairs):
            raise ConfigTypeError("ModuleDict.update: expected a dict of name -> Module or "
                                  f"(name, Module) pairs, got {modules!r:.80}")
        for key, module in pairs:
            self.add_module(key, module)

    def __getitem__(self, key: str) -> Module:
        if not isinstance(key, str) or key not in self._modules:
            raise ConfigKeyError(f"ModuleDict has no module {key!r:.40}; keys: "
                                 f"{list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
