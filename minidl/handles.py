"""``RemovableHandle``: what every ``register_*_hook`` returns, so the hook can be removed.

Tensors (``register_hook``) and Modules (forward, forward-pre and full backward hooks) keep
their hooks in a dict, id -> hook, called in insertion order. The handle remembers the dict and
the id; ``remove()`` takes the hook out again. PyTorch calls the same thing
``torch.utils.hooks.RemovableHandle``.

Read next: ``minidl/errors.py`` (the exceptions minidl raises).
"""
from __future__ import annotations

import itertools
from typing import Callable

_next_id = itertools.count(1).__next__


class RemovableHandle:
    """Registers ``hook`` in ``hooks`` under a fresh id; ``remove()`` unregisters it."""

    def __init__(self, hooks: dict, hook: Callable):
        self.id = _next_id()
        self.hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> bool:
        self.remove()
        return False
