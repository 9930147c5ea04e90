"""The training recipe of a run — model, loss, optimizer, schedule — built once from its TrainConfig."""

from __future__ import annotations

from dataclasses import dataclass

from npnn import optim
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.models import CNN, MLP
from npnn.nn import functional as F
from npnn.nn.regularization import penalized_parameters, penalty
from npnn.optim import lr_scheduler
from npnn.training.config import TrainConfig

IMAGE_SHAPE = (1, 28, 28)
IMAGE_FEATURES = 28 * 28
NUM_CLASSES = 10


Model = MLP | CNN


def build_model(config: TrainConfig) -> Model:
    """The configured model, initialized from the current global seed."""
    if config.model == "cnn":
        return CNN(IMAGE_SHAPE, config.channels, config.kernel_size, config.cnn_hidden, NUM_CLASSES,
                   config.activation, config.dropout, config.batch_norm, config.pool, config.convs_per_block)
    return MLP(IMAGE_FEATURES, config.hidden, NUM_CLASSES, config.activation, config.dropout)


def describe_model(config: TrainConfig) -> str:
    """The model in a few words, for logs: 'MLP [512, 256]' or 'CNN channels [32, 64] ...'."""
    if config.model == "cnn":
        norm = ", batch norm" if config.batch_norm else ""
        convs = f" ×{config.convs_per_block} convs" if config.convs_per_block > 1 else ""
        return (f"CNN channels {config.channels}{convs} kernel {config.kernel_size} "
                f"{config.pool}-pool{norm}, dense {config.cnn_hidden}")
    return f"MLP {config.hidden}"


def l2_as_weight_decay(config: TrainConfig) -> bool:
    """For Adam and SGD, the gradient 2λw of an L2 penalty λΣw² is exactly a coupled weight decay
    of 2λ on the weights, which the optimizer applies in two passes instead of a graph branch.

    Not with gradient clipping, which must see the penalty's gradient too.
    """
    return (config.regularization == "l2" and config.optimizer in ("adam", "sgd")
            and config.clip_grad_norm is None)


def build_optimizer(config: TrainConfig, model: Model, l2_folded: bool) -> optim.Optimizer:
    """The configured optimizer; with `l2_folded`, the weights in a group of their own that
    decays them by 2λ more."""
    params: list[dict] | list = list(model.parameters())
    if l2_folded:
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


@dataclass
class Recipe:
    """What a run trains with. `l2_folded` is the one place the L2 decision is made: the
    penalty is then the optimizer's weight decay, outside the graph (`l2_as_weight_decay`)."""

    config: TrainConfig
    model: Model
    optimizer: optim.Optimizer
    scheduler: lr_scheduler.LRScheduler | None
    l2_folded: bool

    @classmethod
    def build(cls, config: TrainConfig, steps_per_epoch: int) -> Recipe:
        """Model (from the current global seed), optimizer and a schedule of `steps_per_epoch`."""
        model = build_model(config)
        l2_folded = l2_as_weight_decay(config)
        optimizer = build_optimizer(config, model, l2_folded)
        return cls(config, model, optimizer, build_scheduler(config, optimizer, steps_per_epoch),
                   l2_folded)

    def loss(self, log_probs: Tensor, labels: Tensor) -> Tensor:
        """The loss to differentiate: NLL of the labels (label-smoothed if configured) of the
        model's log-probabilities, plus the L1/L2 penalty unless the optimizer applies it."""
        config = self.config
        loss = F.smoothed_nll_loss(log_probs, labels, config.label_smoothing)
        if config.regularization != "none" and not self.l2_folded:
            loss = loss + penalty(self.model, config.regularization, config.reg_strength)
        return loss

    def penalty_outside_loss(self) -> float:
        """The folded L2 penalty at the current weights (0.0 if none): what `loss` left out, for
        reporting the full objective. Evaluated when asked, not every step."""
        if not self.l2_folded:
            return 0.0
        with no_grad():
            return float(penalty(self.model, "l2", self.config.reg_strength).item())
