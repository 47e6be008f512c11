"""Optimizers and learning-rate schedules: turn gradients into parameter updates.

Reading order: ``optimizer.py`` (the base class: parameter groups, state, checkpoints), then one
update rule per file: ``sgd.py``, ``ewa_momentum.py`` (momentum as the course notes write it),
``adagrad.py``, ``rmsprop.py``, ``adam.py`` (Adam and AdamW), ``adadelta.py``, ``adamax.py``,
``nadam.py``, ``radam.py``, ``lbfgs.py`` (with ``line_search.py``), ``rprop.py``,
``asgd.py``; then ``lr_scheduler.py``,
``plateau.py``, ``chained.py`` and ``cyclic_schedulers.py``. Gradient clipping is in
``minidl/nn/clip.py``.
"""
from minidl.optim import lr_scheduler
from minidl.optim.adadelta import Adadelta
from minidl.optim.adagrad import Adagrad
from minidl.optim.adam import Adam, AdamW
from minidl.optim.adamax import Adamax
from minidl.optim.asgd import ASGD
from minidl.optim.ewa_momentum import EWAMomentum
from minidl.optim.lbfgs import LBFGS
from minidl.optim.nadam import NAdam
from minidl.optim.optimizer import Optimizer
from minidl.optim.radam import RAdam
from minidl.optim.rmsprop import RMSprop
from minidl.optim.rprop import Rprop
from minidl.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "EWAMomentum", "Adagrad", "RMSprop", "Adam", "AdamW",
           "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS", "Rprop", "ASGD", "lr_scheduler"]
