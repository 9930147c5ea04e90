"""Optimizers and learning-rate schedulers with PyTorch's names and semantics."""

from npnn.optim import lr_scheduler
from npnn.optim.adadelta import Adadelta
from npnn.optim.adagrad import Adagrad
from npnn.optim.adam import Adam, AdamW
from npnn.optim.adamax import Adamax
from npnn.optim.asgd import ASGD
from npnn.optim.lbfgs import LBFGS
from npnn.optim.nadam import NAdam
from npnn.optim.optimizer import Optimizer
from npnn.optim.radam import RAdam
from npnn.optim.rmsprop import RMSprop
from npnn.optim.rprop import Rprop
from npnn.optim.sgd import SGD

__all__ = [
    "ASGD", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer",
    "RAdam", "RMSprop", "Rprop", "lr_scheduler",
]
