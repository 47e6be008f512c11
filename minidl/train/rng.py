"""Random-number states: what a checkpoint must hold so that a resumed run draws the same numbers.

A training run draws random numbers in four places:

1. weight initialization, when the model is built     (minidl's default generator);
2. the train/validation split (``random_split``)      (the default generator);
3. each epoch's shuffle                               (the DataLoader's own generator, seeded
                                                       from the default one when it is built);
4. dropout masks, at every training step              (the default generator of the device the
                                                       activations live on).

A resumed run starts with the same seed, so 1-3 happen exactly as before; the loader's
``state_dict()`` then puts the shuffle back where it was. Dropout, though, must continue from the
generator state at the checkpoint: ``get_rng_state`` captures it, ``set_rng_state`` restores it.
minidl itself never uses Python's ``random`` or NumPy's global ``np.random``, but code added to a
training script might (data augmentation, say), so their states are saved as well.

CuPy's generators cannot report their state, so a GPU generator is saved as ``None`` and left
as it is on restore: a run resumed on a GPU is correct but draws different dropout masks.

Read next: ``early_stopping.py``; ``checkpoint.py`` writes these states to disk with everything
else.
"""
from __future__ import annotations

import random
from typing import Any, Dict, Sequence

import numpy as np

from minidl.errors import DeviceError
from minidl.random_streams import default_generator


def get_rng_state(devices: Sequence[str] = ("cpu",)) -> Dict[str, Any]:
    """The state of minidl's default generator on each of ``devices``, of NumPy's global
    generator and of Python's ``random``, as JSON-friendly data (plus one array)."""
    generators = {}
    for device in devices:
        generator = default_generator(device)
        try:
            generators[generator.device] = generator.get_state()
        except DeviceError:  # a GPU generator: its state cannot be read (see above)
            generators[generator.device] = None
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "minidl": generators,
        "numpy": {"kind": kind, "keys": keys, "position": position,
                  "has_gauss": has_gauss, "cached_gaussian": cached_gaussian},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def set_rng_state(state: Dict[str, Any]) -> None:
    """Put back every state that ``get_rng_state`` captured (``None`` entries are skipped)."""
    for device, generator_state in state["minidl"].items():
        if generator_state is not None:
            default_generator(device).set_state(generator_state)
    numpy_state = state["numpy"]
    np.random.set_state((
        numpy_state["kind"],
        np.asarray(numpy_state["keys"], dtype=np.uint32),
        int(numpy_state["position"]),
        int(numpy_state["has_gauss"]),
        float(numpy_state["cached_gaussian"]),
    ))
    python_state = state["python"]
    random.setstate((
        python_state["version"],
        tuple(python_state["internal"]),
        python_state["gauss_next"],
    ))
