"""A stand-in device type, "fake", so that device plumbing is tested on machines without a GPU.

Its arrays are ``FakeArray``, a NumPy subclass: computing on them is NumPy, but minidl must treat
them as living on another device, exactly as it treats CuPy arrays. ``xp`` is the stand-in's
array module: NumPy's functions, with every array they return viewed as a ``FakeArray`` (and
scalars returned as 0-d arrays, as CuPy does). So core code that creates an array with ``np.``
instead of the array's own module (``backend.get_array_module(x)``) produces a CPU array in the
middle of a "fake" computation, and the tests that run ops on "fake" catch it.

``register()`` makes the device known and returns its name; ``unregister()`` forgets it. The
``fake`` fixture below does both around one test (import it into a test module to use it).

Read next: ``tests/test_device.py``.
"""
from __future__ import annotations

import types

import numpy as np
import pytest

from minidl import backend

NAME = "fake"


class FakeArray(np.ndarray):
    """A NumPy array that minidl must treat as living on the "fake" device."""


def to_fake(obj):
    """NumPy results (arrays, scalars, tuples of them) as FakeArrays; anything else unchanged."""
    if isinstance(obj, np.ndarray):
        return obj.view(FakeArray) if type(obj) is not FakeArray else obj
    if isinstance(obj, np.generic):
        return np.asarray(obj).view(FakeArray)
    if isinstance(obj, tuple):
        return tuple(to_fake(o) for o in obj)
    return obj


class _FakeNumpy(types.ModuleType):
    """The stand-in's array module: ``xp.zeros(...)``, ``xp.where(...)``, ... give FakeArrays.

    Types (``xp.float32``, ``xp.ndarray``) and constants (``xp.pi``) are NumPy's own."""

    def __init__(self):
        super().__init__("fake_numpy")

    def __getattr__(self, name: str):
        attr = getattr(np, name)
        if isinstance(attr, type) or not callable(attr):
            return attr

        def call(*args, **kwargs):
            return to_fake(attr(*args, **kwargs))
        call.__name__ = name
        return call


class _FakeRandom:
    """The stand-in's random generator: NumPy's PCG64 stream, drawing FakeArrays."""

    def __init__(self, seed: int):
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def __getattr__(self, name: str):
        method = getattr(self.rng, name)
        return lambda *args, **kwargs: to_fake(method(*args, **kwargs))


def _to_device(host_array, index: int) -> FakeArray:
    """Copy a NumPy array onto the fake device (a transfer always copies)."""
    return np.array(host_array, copy=True).view(FakeArray)


def _to_host(array) -> np.ndarray:
    return np.array(array.view(np.ndarray), copy=True)


def register() -> str:
    """Make the "fake" device type known to minidl; returns its canonical device string."""
    backend.register_backend(backend.Backend(
        name=NAME,
        xp=_FakeNumpy(),
        array_type=FakeArray,
        to_device=_to_device,
        to_host=_to_host,
        device_index=lambda array: 0,
        scatter_add=np.add.at,  # works in place on the subclass, repeated indices included
        device_count=lambda: 1,
        make_rng=_FakeRandom,
    ))
    return f"{NAME}:0"


def unregister() -> None:
    backend.unregister_backend(NAME)


@pytest.fixture
def fake():
    """The stand-in device, registered for one test: yields its name, "fake:0"."""
    device = register()
    try:
        yield device
    finally:
        unregister()
