"""Learning-rate schedulers with PyTorch 2.x semantics; they only write `group["lr"]`.

Constructing a scheduler records `group["initial_lr"]` and takes the initial step
(`last_epoch` becomes 0). Most schedulers are chainable as in PyTorch: `get_lr()` derives
the next lr from the current `group["lr"]`, so trajectories match torch's to rounding.

Differs from PyTorch: `step()` takes no (deprecated) epoch argument (CosineAnnealingWarmRestarts'
takes one, not deprecated, as PyTorch's), the optimizer's
`step` is not wrapped to warn about call order, and `get_lr()` does not warn when
called directly (it has no side effects; `get_last_lr()` is still the way to read the lr).
An npnn addition: `lr_at(epoch)` / `lrs_at(epochs)` read a schedule ahead on a replica,
without stepping the scheduler or its optimizer (ReduceLROnPlateau has none to read).
"""

from npnn.optim.lr_scheduler.base import LRScheduler
from npnn.optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, CyclicLR
from npnn.optim.lr_scheduler.decay import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)
from npnn.optim.lr_scheduler.multiplicative import ConstantLR, MultiplicativeLR, PolynomialLR
from npnn.optim.lr_scheduler.onecycle import OneCycleLR
from npnn.optim.lr_scheduler.plateau import ReduceLROnPlateau
from npnn.optim.lr_scheduler.sequential import ChainedScheduler, SequentialLR

__all__ = [
    "ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
    "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR",
    "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
]
