"""Which runs can train together as one population, and how a member's stacked state is copied
into (and out of) its own run's model, optimizer and scheduler."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn.training.config import TrainConfig
from npnn.training.trainer import Trainer

# settings in which the members of one population may differ
PER_MEMBER = ("lr", "regularization", "reg_strength", "weight_decay", "seed", "split_seed")


def unsupported(config: TrainConfig) -> str | None:
    """Why `config` cannot train in a population (None: it can). The population trainer
    reproduces the single run's arithmetic for the MLPs of the original grids only."""
    reasons = [(config.model != "mlp", "only MLPs"), (config.activation != "relu", "only ReLU"),
               (config.dropout != 0, "no dropout"), (config.optimizer != "adam", "only Adam"),
               (config.clip_grad_norm is not None, "no gradient clipping"),
               (config.on_nonfinite != "stop", "only on_nonfinite 'stop'"),
               (config.augment, "no augmentation"), (config.regularization == "l1", "no L1 penalty")]
    return next((reason for failed, reason in reasons if failed), None)


def population_key(config: TrainConfig) -> str | None:
    """Runs with the same key train together (None: `config` trains alone). Everything but the
    PER_MEMBER settings must agree; so must the data, which a stratified split draws from the
    seed."""
    if unsupported(config) is not None:
        return None
    values = config.to_dict()
    shared = {name: value for name, value in values.items() if name not in PER_MEMBER}
    if config.val_split != "tail":
        shared["val_split_seed"] = config.val_split_seed
    return repr(sorted(shared.items()))


def weight_decays(member: Trainer) -> tuple[float, float]:
    """(decay of the weights, decay of the biases) that the member's Adam applies: an L2
    penalty λ is folded into the weights' decay as 2λ (recipe.l2_as_weight_decay)."""
    groups = member.optimizer.param_groups
    if len(groups) == 1:
        return groups[0]["weight_decay"], groups[0]["weight_decay"]
    return groups[0]["weight_decay"], groups[1]["weight_decay"]


def adam_state(member: Trainer) -> tuple[int, list[Any] | None, list[Any] | None]:
    """(step, scaled first moments, scaled second moments) of the member's Adam, in the order of
    its parameters; (0, None, None) before its first step."""
    params = list(member.model.parameters())
    states = [member.optimizer.state.get(param) for param in params]
    if not all(states):
        return 0, None, None
    steps = {int(state["step"]) for state in states}
    if len(steps) != 1:
        raise ValueError(f"{member.run.path}: its parameters were stepped unequally ({sorted(steps)})")
    return steps.pop(), [state["exp_avg"] for state in states], [state["exp_avg_sq"] for state in states]


def set_adam_state(member: Trainer, step: int, exp_avg: list[np.ndarray],
                   exp_avg_sq: list[np.ndarray]) -> None:
    """Give the member's Adam the population's state of it (scaled moments, as Adam keeps them)."""
    for param, m, v in zip(member.model.parameters(), exp_avg, exp_avg_sq, strict=True):
        member.optimizer.state[param] = {"step": step, "exp_avg": m.copy(), "exp_avg_sq": v.copy()}


def advance_scheduler(member: Trainer, steps: int) -> None:
    """Step the member's own schedule `steps` times: the population steps one for all members,
    and each member's catches up before its checkpoint is written."""
    if member.scheduler is not None:
        for _ in range(steps):
            member.scheduler.step()
