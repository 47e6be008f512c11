"""The command line of ``examples/train_mnist.py``, and which settings a resumed run may change.

A checkpoint keeps the *settings* of its run (dataset, model, optimizer, learning rate, ...).
``--resume`` continues bit-identically only with the same settings, so it refuses other ones,
naming each difference. Two of them may change on purpose, the course notes' "save, adjust,
continue": the learning rate and the weight decay, with ``--allow-changes``. They are numbers
in the optimizer's parameter groups, so the run simply continues with new values from the step
where it was resumed; everything else (the model, the data order, the schedule's position) would
make a different run, and stays refused.

Read next: ``examples/train_mnist.py`` (which uses this), then ``minidl/train/history.py``
(where a resumed run records what was changed, and at which epoch and step).
"""
import argparse
import math
from pathlib import Path
from typing import Any, Dict, Tuple

# Defaults measured to reach >= 91.5% (CNN) and >= 88.5% (MLP) on Fashion-MNIST's test set
# (README, "Training"). Adam's lr is twice PyTorch's default: with BatchNorm and a cosine
# decay, the CNN gets there in 6 epochs instead of 8.
DEFAULT_EPOCHS = {"cnn": 6, "mlp": 15}
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3,
              "adagrad": 0.01}
QUICK = {"train": 512, "val": 512, "test": 1000}  # --quick: images per split, for one epoch
# The settings --allow-changes lets a resumed run change, with the option that sets each.
CHANGEABLE = {"lr": "--lr", "weight_decay": "--weight-decay"}


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (argparse turns the error into a usage message)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def non_negative_float(text: str) -> float:
    """argparse type: a number >= 0 (nan refused)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def make_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = parser.add_argument
    add("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    add("--data-dir", type=Path, default=None,
        help="a directory holding the four IDX files (train-images-idx3-ubyte.gz, ...); "
             "default: $MINIDL_DATA or ~/.cache/minidl, downloading MNIST")
    add("--model", choices=["cnn", "mlp"], default="cnn")
    add("--width", type=positive_int, default=None,
        help="channels of the CNN's first block (default 16; the second has twice as many), "
             "or the MLP's first hidden layer (default 512; then half)")
    add("--epochs", type=positive_int, default=None,
        help="passes over the training set (default: " +
             ", ".join(f"{k} {v}" for k, v in DEFAULT_EPOCHS.items()) + ")")
    add("--batch-size", type=positive_int, default=128)
    add("--optimizer", choices=list(DEFAULT_LR), default="adam")
    add("--lr", type=non_negative_float, default=None,
        help="learning rate (default: " +
             ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    add("--schedule", choices=["none", "step", "cosine"], default="cosine",
        help="per-epoch learning-rate schedule: cosine decay to 0 over --epochs, "
             "or step (x0.1 after each third of the epochs)")
    add("--weight-decay", type=non_negative_float, default=0.0)
    add("--val-size", type=positive_int, default=5000,
        help="training images held out for validation")
    add("--limit", type=positive_int, default=None,
        help="train on only the first N of the remaining training images")
    add("--patience", type=positive_int, default=None,
        help="stop after this many epochs without a better validation loss")
    add("--seed", type=int, default=0)
    add("--device", choices=["cpu", "cuda"], default="cpu")
    add("--out", type=Path, default=None,
        help="output directory (default: runs/<dataset>-<model>[-quick])")
    add("--resume", action="store_true",
        help="continue from <out>/checkpoint.safetensors, exactly where it was saved")
    add("--allow-changes", action="store_true",
        help="with --resume: continue with a new --lr or --weight-decay (recorded in the "
             "history); every other setting must still be the saved one")
    add("--checkpoint-every", type=positive_int, default=None, metavar="STEPS",
        help="also save the checkpoint every STEPS steps (default: each epoch)")
    add("--max-steps", type=positive_int, default=None,
        help="stop (with a checkpoint) after this many training steps in all")
    add("--quick", action="store_true",
        help="a smoke test in seconds: 1 epoch (unless --epochs) on at most "
             "{train} training, {val} validation, {test} test images".format(**QUICK))
    add("--no-progress", action="store_true", help="no progress bar")
    add("--no-curves", action="store_true", help="do not draw curves.png")
    return parser


def resume_changes(saved: Dict[str, Any], now: Dict[str, Any],
                   allow_changes: bool) -> Dict[str, Tuple[Any, Any]]:
    """The settings that differ between a checkpoint (``saved``) and this run (``now``), as
    ``{name: (saved value, new value)}``, when a resume may go on with them; otherwise a
    ``ValueError`` whose message names each refused difference."""
    changed = {key: (value, now.get(key)) for key, value in saved.items()
               if now.get(key) != value}
    refused = changed if not allow_changes else {
        key: values for key, values in changed.items() if key not in CHANGEABLE}
    if refused:
        hint = "" if allow_changes or set(refused) - set(CHANGEABLE) else (
            "; to continue with new values on purpose, add --allow-changes")
        raise ValueError("was saved with other settings; use the same ones (saved, now): " +
                         ", ".join(f"{k} {v[0]!r} != {v[1]!r}" for k, v in refused.items()) +
                         (" (only " + " and ".join(CHANGEABLE.values()) +
                          " may change on a resume)" if allow_changes else hint))
    return changed
