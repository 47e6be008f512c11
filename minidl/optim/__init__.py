"""Optimizers and learning-rate schedules: turn gradients into parameter updates.

Reading order: ``optimizer.py`` (the base class: parameter groups, state, checkpoints), then one
update rule per file: ``sgd.py``, ``ewa_momentum.py`` (momentum as the course notes write it),
``adagrad.py``, ``rmsprop.py``, ``adam.py`` (Adam and AdamW); then ``lr_scheduler.py`` and
``plateau.py``. Gradient clipping is in ``minidl/nn/clip.py``.
"""
from minidl.optim import lr_scheduler
from minidl.optim.adagrad import Adagrad
from minidl.optim.adam import Adam, AdamW
from minidl.optim.ewa_momentum import EWAMomentum
from minidl.optim.optimizer import Optimizer
from minidl.optim.rmsprop import RMSprop
from minidl.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "EWAMomentum", "Adagrad", "RMSprop", "Adam", "AdamW",
           "lr_scheduler"]
