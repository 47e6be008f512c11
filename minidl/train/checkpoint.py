"""A training run's checkpoint: its whole state in one ``minidl.save`` file, so that a crash at any
instant resumes to the right weights.

What a run must save to continue bit-identically is a dict of state dicts and counters::

    {"model": model.state_dict(),           "optimizer": optimizer.state_dict(),
     "scheduler": scheduler.state_dict(),   "loader": loader.state_dict(),
     "rng": get_rng_state(),                "early_stopping": stopper.state_dict(),
     "best_model": <the best epoch's model.state_dict()>, "epoch": ..., "step": ...}

``minidl.save(state, path)`` writes it in minidl's one file format (``minidl/serialization.py``:
safetensors for the arrays, JSON for the rest, never pickle) and atomically
(``minidl/atomic_file.py``): a ``kill -9`` at any instant leaves the previous complete file or
the new complete one. ``minidl.load(path)`` reads it back, and ``restore`` below puts each
part into its component.

Why the best epoch's weights live *inside* the checkpoint: a run that writes its last state
and its best weights to two files, one after the other, is not one unit. Killed between the two
writes, it has a "last" of epoch 2 and a "best" of epoch 1 that should have been epoch 2;
resumed, it ends by testing the wrong weights. Killed before "best" first exists, it can never
finish. One file, replaced in one rename, is consistent at every instant. (Exporting the best
weights to a file of their own, for use elsewhere, is then a copy made from the checkpoint,
which a resumed run can always make again.)

Read next: ``rng.py`` (the random states a checkpoint must hold), ``early_stopping.py``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from minidl.errors import MinidlError
from minidl.serialization import CheckpointError, File


def restore(path: File, state: Dict[str, Any], **components: Optional[Any]) -> None:
    """Load ``state[name]`` into each component, e.g. ``restore(path, state, model=model,
    optimizer=optimizer)``, turning any mismatch (missing or unexpected keys, shapes, groups)
    into a ``CheckpointError`` that names the file and the component. ``None`` is skipped."""
    if not isinstance(state, dict):
        raise CheckpointError(path, f"it holds a {type(state).__name__}, not a dict of states")
    for name, component in components.items():
        if component is None:
            continue
        if name not in state or state[name] is None:
            raise CheckpointError(path, f"it holds no {name} state")
        try:
            component.load_state_dict(state[name])
        except (MinidlError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(path, f"it does not fit this {name} "
                                  f"({type(component).__name__}): {exc}") from None
