"""minidl.train: the reusable parts of a training script, so that the script stays a flat loop.

Reading order:

1. ``checkpoint.py``      a run's whole state (last and best weights too) in one
                          ``minidl.save`` file; ``restore`` puts it back, naming the file
2. ``rng.py``             the random-number states a checkpoint needs for an exact resume
3. ``early_stopping.py``  stop when the validation loss stops improving; track the best epoch
4. ``history.py``         per-epoch metrics to ``metrics.json`` and ``curves.png``
5. ``progress.py``        a per-epoch progress bar (tqdm, or plain lines)

``examples/train_mnist.py`` uses all of them; the README's "Training" section describes the result.
"""
from minidl.serialization import CheckpointError
from minidl.train.checkpoint import restore
from minidl.train.early_stopping import EarlyStopping
from minidl.train.history import History
from minidl.train.progress import ProgressBar
from minidl.train.rng import get_rng_state, set_rng_state

__all__ = [
    "CheckpointError",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "get_rng_state",
    "restore",
    "set_rng_state",
]
