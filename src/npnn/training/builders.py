"""Build the model, optimizer, scheduler and loss of a run from its TrainConfig."""

from __future__ import annotations

from npnn import optim
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.models import MLP
from npnn.nn import functional as F
from npnn.nn.regularization import penalized_parameters, penalty
from npnn.optim import lr_scheduler
from npnn.training.config import TrainConfig

IMAGE_FEATURES = 28 * 28
NUM_CLASSES = 10


def build_model(config: TrainConfig) -> MLP:
    return MLP(IMAGE_FEATURES, config.hidden, NUM_CLASSES, config.activation, config.dropout)


def l2_as_weight_decay(config: TrainConfig) -> bool:
    """For Adam and SGD, the gradient 2λw of an L2 penalty λΣw² is exactly a coupled weight decay
    of 2λ on the weights, which the optimizer applies in two passes instead of a graph branch.

    Not with gradient clipping, which must see the penalty's gradient too.
    """
    return (config.regularization == "l2" and config.optimizer in ("adam", "sgd")
            and config.clip_grad_norm is None)


def build_optimizer(config: TrainConfig, model: MLP) -> optim.Optimizer:
    params: list[dict] | list = list(model.parameters())
    if l2_as_weight_decay(config):
        weights = list(penalized_parameters(model))
        chosen = {id(w) for w in weights}
        params = [{"params": weights, "weight_decay": config.weight_decay + 2 * config.reg_strength},
                  {"params": [p for p in model.parameters() if id(p) not in chosen]}]
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
    """NLL of the labels (with optional label smoothing), plus the L1/L2 penalty if configured.

    An L2 penalty that the optimizer applies as weight decay is left out of the graph; add
    `penalty_value` to report the full loss.
    """
    if config.label_smoothing:
        loss = F.cross_entropy(log_probs, labels, label_smoothing=config.label_smoothing)
    else:
        loss = F.nll_loss(log_probs, labels)
    if config.regularization != "none" and not l2_as_weight_decay(config):
        loss = loss + penalty(model, config.regularization, config.reg_strength)
    return loss


def penalty_value(config: TrainConfig, model: MLP) -> float:
    """The part of the loss that `training_loss` left to the optimizer (0.0 if none)."""
    if not l2_as_weight_decay(config):
        return 0.0
    with no_grad():
        return float(penalty(model, "l2", config.reg_strength).item())
