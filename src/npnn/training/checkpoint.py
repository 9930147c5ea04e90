"""Checkpoints: the best model by validation accuracy, and a resumable last state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn import random
from npnn.nn.module import Module
from npnn.optim.lr_scheduler import LRScheduler
from npnn.optim.optimizer import Optimizer
from npnn.serialization import CheckpointError, load_file, save_file

FORMAT = "npnn-checkpoint"
VERSION = 1


def save_best(path: str | Path, model: Module, config: dict[str, Any], record: dict[str, Any]) -> None:
    """The model's weights, with the config that rebuilds it and the evaluation that chose it."""
    save_file(path, model.state_dict(),
              {"format": "npnn-model", "config": config, "evaluation": record})


def load_best(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state_dict, metadata) of a best checkpoint."""
    state, metadata = load_file(path)
    if not isinstance(metadata, dict) or metadata.get("format") != "npnn-model":
        raise CheckpointError(f"{path}: not an npnn model checkpoint (made by `npnn train`)")
    return state, metadata


def save_last(path: str | Path, model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
              trainer_state: dict[str, Any]) -> None:
    """Everything needed to continue exactly: weights, optimizer, scheduler, RNG, position."""
    save_file(path, {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": random.get_rng_state(),
        "trainer": trainer_state,
    }, {"format": FORMAT, "version": VERSION})


def load_last(path: str | Path, model: Module, optimizer: Optimizer,
              scheduler: LRScheduler | None) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and RNG in place; return the trainer's state."""
    value, metadata = load_file(path)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a resumable npnn checkpoint")
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {metadata.get('version')} is not "
                              f"supported (this npnn reads version {VERSION})")
    model.load_state_dict(value["model"])
    optimizer.load_state_dict(value["optimizer"])
    if scheduler is not None and value["scheduler"] is not None:
        scheduler.load_state_dict(value["scheduler"])
    random.set_rng_state(value["rng"])
    return value["trainer"]
