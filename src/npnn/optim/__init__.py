"""Optimizers and learning-rate schedulers with PyTorch's names and semantics."""

from npnn.optim import lr_scheduler
from npnn.optim.adagrad import Adagrad
from npnn.optim.adam import Adam, AdamW
from npnn.optim.optimizer import Optimizer
from npnn.optim.rmsprop import RMSprop
from npnn.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
