"""The MLP and CNN of benchmarks/training_step.py in DeZero, for an optional comparison column.

DeZero (``pip install dezero==0.0.13``; the framework of the book *Deep Learning from Scratch 3*,
oreilly-japan/deep-learning-from-scratch-3) is the teaching framework closest to minidl: a
define-by-run graph of NumPy ``Function``s. It is never a minidl dependency; training_step.py
imports this file only when DeZero is installed.

Two things to know when reading its numbers:

* DeZero 0.0.13 uses ``np.int``, which NumPy 2 removed, so ``import dezero`` fails on NumPy 2.
  ``import_dezero()`` restores that one alias (as the builtin ``int``, what it always meant)
  before importing it; nothing else of DeZero is changed.
* Under NumPy 2's promotion rules (NEP 50) its layers initialize their weights in float64
  (``randn(...).astype(float32) * np.sqrt(1 / fan_in)``: the NumPy float64 scalar wins), so
  ``_float32()`` casts every parameter back. The forward pass then runs in float32, but the
  softmax-cross-entropy backward subtracts an int64 one-hot matrix from the float32
  probabilities, which NumPy promotes to float64: the backward pass through the fully connected
  layers runs in float64 (its GEMMs included) until max pooling's backward writes the gradient
  into a buffer of the input's dtype, float32 again; the momentum update casts back into the
  float32 parameters. ``gradient_dtypes()`` measures this rather than asserting it.

Read next: benchmarks/training_step.py, which times these steps against minidl and PyTorch.
"""
from __future__ import annotations

import numpy as np


def import_dezero():
    """Import DeZero 0.0.13 on NumPy 2 (see the module docstring); raises ImportError if absent."""
    if "int" not in np.__dict__:  # NumPy >= 1.24 dropped the alias DeZero's transforms use
        np.int = int
    import dezero
    return dezero


def _float32(model):
    """Cast every parameter of a DeZero model to float32 in place (see the module docstring)."""
    for param in model.params():
        param.data = param.data.astype(np.float32)
    return model


def dezero_mlp():
    """784-512-256-10 with ReLU (DeZero's layers take the output size; the input is inferred)."""
    dezero = import_dezero()
    F, L = dezero.functions, dezero.layers
    return _float32(dezero.models.Sequential(L.Linear(512, in_size=784), F.relu,
                                             L.Linear(256, in_size=512), F.relu,
                                             L.Linear(10, in_size=256)))


class _MaxPool2:
    """2x2 max pooling, stride 2, as a callable (DeZero has ``F.pooling`` but no pooling layer)."""

    def __call__(self, x):
        import dezero.functions_conv
        return dezero.functions_conv.pooling(x, 2, stride=2)


def _flatten(x):
    import dezero.functions
    return dezero.functions.flatten(x)


def dezero_cnn():
    """conv(1->32,3x3,p1)-ReLU-maxpool2-conv(32->64,3x3,p1)-ReLU-maxpool2-fc(3136->128)-ReLU-
    fc(10)."""
    dezero = import_dezero()
    F, L = dezero.functions, dezero.layers
    # Sequential registers only Layers as parameter holders; plain functions are called in order.
    return _float32(dezero.models.Sequential(
        L.Conv2d(32, 3, pad=1, in_channels=1), F.relu, _MaxPool2(),
        L.Conv2d(64, 3, pad=1, in_channels=32), F.relu, _MaxPool2(),
        _flatten, L.Linear(128, in_size=3136), F.relu, L.Linear(10, in_size=128)))


def dezero_trainer(model, x: np.ndarray, labels: np.ndarray):
    """One training step per call: cleargrads -> forward -> backward -> MomentumSGD update."""
    dezero = import_dezero()
    optimizer = dezero.optimizers.MomentumSGD(lr=0.01, momentum=0.9).setup(model)

    def step():
        model.cleargrads()
        loss = dezero.functions.softmax_cross_entropy(model(x), labels)
        loss.backward()
        optimizer.update()
    return step


def gradient_dtypes(model, x: np.ndarray, labels: np.ndarray) -> str:
    """The dtype of each layer's weight gradient after one backward pass, e.g. "Linear float64"."""
    dezero = import_dezero()
    model.cleargrads()
    dezero.functions.softmax_cross_entropy(model(x), labels).backward()
    found = {}
    for layer in model.layers:
        if isinstance(layer, dezero.Layer):
            found.setdefault(type(layer).__name__, set()).add(str(layer.W.grad.data.dtype))
    return ", ".join(f"{name} {'/'.join(sorted(dtypes))}" for name, dtypes in found.items())
