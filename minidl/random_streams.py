"""minidl's random streams: ``Generator`` (a seeded stream on one device, as ``torch.Generator``),
``default_generator(device)`` (the one used when no generator is passed) and
``manual_seed(seed)`` (seeds every device's default stream, as ``torch.manual_seed``).

A stream draws directly on its device in the requested dtype: NumPy's ``Generator(PCG64)`` on
the CPU, CuPy's on a GPU, each made by the device's ``Backend.make_rng`` (``backend.py``). A CPU
stream's state can be saved and restored, so that training resumes bit-identically
(``minidl/train/rng.py``).

Read next: ``minidl/scatter_rows.py`` (the CPU's scatter_add, by sorting).
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from minidl.backend import _split, parse_device, xp_for
from minidl.errors import DeviceError


class Generator:
    """A seeded random stream on one device (like ``torch.Generator``).

    On the CPU it wraps ``numpy.random.Generator(PCG64)``; on CUDA, CuPy's generator. Its state can
    be saved and restored (``get_state``/``set_state``) so that training resumes bit-identically.
    """

    def __init__(self, device: str = "cpu", seed: Optional[int] = None):
        self.device = parse_device(device)
        self.xp = xp_for(self.device)
        self.manual_seed(np.random.SeedSequence().entropy % 2**63 if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        device_backend, index = _split(self.device)
        with device_backend.selected(index):
            self.rng = device_backend.make_rng(self.seed)
        return self

    def get_state(self) -> dict:
        """A JSON-friendly snapshot of the stream (CPU generators)."""
        if self.xp is not np:
            raise DeviceError("Generator.get_state: only CPU generators can be saved")
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        if self.xp is not np:
            raise DeviceError("Generator.set_state: only CPU generators can be restored")
        self.rng.bit_generator.state = state

    # Draws, created directly on the generator's device in the requested dtype.
    def normal(self, shape, dtype):
        return self.rng.standard_normal(shape, dtype=dtype)

    def uniform(self, shape, dtype):
        """Uniform on [0, 1)."""
        return self.rng.random(shape, dtype=dtype)

    def integers(self, low: int, high: int, shape):
        return self.rng.integers(low, high, size=shape)

    def permutation(self, n: int):
        return self.rng.permutation(n)


_GENERATORS: Dict[str, Generator] = {}
_seed = 0  # the last manual_seed: default generators created later start from it too


def default_generator(device: str = "cpu") -> Generator:
    """The generator that minidl uses on ``device`` when no generator is passed."""
    device = parse_device(device)
    if device not in _GENERATORS:
        _GENERATORS[device] = Generator(device, seed=_seed)
    return _GENERATORS[device]


def manual_seed(seed: int) -> None:
    """Seed the default generators of every device: those used so far, and those created later
    (as ``torch.manual_seed`` seeds all devices)."""
    global _seed
    default_generator("cpu").manual_seed(seed)
    _seed = int(seed)
    for generator in _GENERATORS.values():
        generator.manual_seed(seed)


def forget_generators(device_type: str) -> None:
    """Drop the default generators of every device of a type that is no longer registered
    (``backend.unregister_backend``): they are keyed by device ("fake:0"), and
    ``manual_seed`` would otherwise try to reseed a generator of a device type that is gone."""
    for device in [d for d in _GENERATORS if d.partition(":")[0] == device_type]:
        del _GENERATORS[device]
