"""Build the model, optimizer, scheduler and loss of a run from its TrainConfig."""

from __future__ import annotations

from npnn import optim
from npnn.models import MLP
from npnn.nn import functional as F
from npnn.nn.regularization import penalty
from npnn.optim import lr_scheduler
from npnn.tensor import Tensor
from npnn.training.config import TrainConfig

IMAGE_FEATURES = 28 * 28
NUM_CLASSES = 10


def build_model(config: TrainConfig) -> MLP:
    return MLP(IMAGE_FEATURES, config.hidden, NUM_CLASSES, config.activation, config.dropout)


def build_optimizer(config: TrainConfig, model: MLP) -> optim.Optimizer:
    params = list(model.parameters())
    if config.optimizer == "sgd":
        return optim.SGD(params, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
                         weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def build_scheduler(config: TrainConfig, optimizer: optim.Optimizer,
                    steps_per_epoch: int) -> lr_scheduler.LRScheduler | None:
    """A per-step schedule: optional linear warm-up, then constant, cosine or step decay."""
    total = config.epochs * steps_per_epoch
    warmup = min(config.warmup_steps, max(total - 1, 0))
    main: lr_scheduler.LRScheduler | None = None
    if config.schedule == "cosine":
        main = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(total - warmup, 1))
    elif config.schedule == "step":
        main = lr_scheduler.StepLR(optimizer, step_size=config.step_epochs * steps_per_epoch,
                                   gamma=config.step_gamma)
    if warmup == 0:
        return main
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=1.0 / warmup, total_iters=warmup)
    if main is None:
        return ramp
    return lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])


def training_loss(config: TrainConfig, model: MLP, log_probs: Tensor, labels: Tensor) -> Tensor:
    """NLL of the labels (with optional label smoothing), plus the L1/L2 penalty if configured."""
    if config.label_smoothing:
        loss = F.cross_entropy(log_probs, labels, label_smoothing=config.label_smoothing)
    else:
        loss = F.nll_loss(log_probs, labels)
    if config.regularization != "none":
        loss = loss + penalty(model, config.regularization, config.reg_strength)
    return loss
