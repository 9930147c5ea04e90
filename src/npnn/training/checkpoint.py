"""Checkpoints: the best model by validation accuracy, and a resumable last state.

Loading checks what it reads before it touches the model: a damaged or hand-made file
raises CheckpointError naming the file and the field, and never a KeyError or TypeError
from deep inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from npnn import random
from npnn.nn.module import Module
from npnn.optim.lr_scheduler import LRScheduler
from npnn.optim.optimizer import Optimizer
from npnn.serialization import CheckpointError, is_number, load_file, save_file

FORMAT = "npnn-checkpoint"
VERSION = 1
RESUMABLE_KEYS = ("model", "optimizer", "scheduler", "rng", "trainer")
# settings that may change between sessions without changing what is trained
NOT_COMPARED = ("data_dir",)
# settings fixed for a run's life: the saved weights, optimizer state and position assume them,
# so `--resume --force` cannot change them, and `npnn test` refuses a config.json that does
_OLD_DATA = "the checkpoints were trained and chosen on data drawn and scaled the old way"
FIXED_SETTINGS = {
    "model": "the checkpoints hold a model of the old kind",
    "hidden": "the checkpoints hold a model of the old shape",
    "channels": "the checkpoints hold a model of the old shape",
    "kernel_size": "the checkpoints hold a model of the old shape",
    "convs_per_block": "the checkpoints hold a model of the old shape",
    "cnn_hidden": "the checkpoints hold a model of the old shape",
    "batch_norm": "the checkpoints hold a model of the old shape",
    "pool": "the checkpoints hold a model trained with the old pooling",
    "activation": "the checkpoints hold a model trained with the old activation",
    "optimizer": "the checkpoint holds the old optimizer's state",
    "batch_size": "the saved position counts batches of the old size",
    "train_subset": "the saved position is in an epoch of the old length",
    "seed": "the saved position is in the old shuffling order, " + _OLD_DATA,
    "standardize": _OLD_DATA,
    "val_split": _OLD_DATA,
    "val_fraction": _OLD_DATA,
    "split_seed": _OLD_DATA,
}


def save_best(path: str | Path, model: Module, config: dict[str, Any], record: dict[str, Any],
              normalization: dict[str, Any] | None = None) -> None:
    """The model's weights, with the config that rebuilds it, the evaluation that chose it and
    how its input pixels were scaled (so that new images can be prepared without the data)."""
    metadata = {"format": "npnn-model", "config": config, "evaluation": record}
    if normalization is not None:
        metadata["normalization"] = normalization
    save_file(path, model.state_dict(), metadata)


def load_best(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state_dict, metadata) of a best checkpoint."""
    state, metadata = load_file(path)
    if not isinstance(metadata, dict) or metadata.get("format") != "npnn-model":
        raise CheckpointError(f"{path}: not an npnn model checkpoint (made by `npnn train`)")
    _check_arrays(state, path, "weights")
    return state, metadata


def save_last(path: str | Path, model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
              trainer_state: dict[str, Any], config: dict[str, Any] | None = None) -> None:
    """Everything needed to continue exactly: weights, optimizer, scheduler, RNG, position,
    and the config trained with (so that a resume can tell when config.json was changed)."""
    save_file(path, {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": random.get_rng_state(),
        "trainer": trainer_state,
    }, {"format": FORMAT, "version": VERSION, "config": config})


def saved_config(metadata: Any) -> dict[str, Any] | None:
    """The config stored in a best or last checkpoint's metadata (None in files made before
    checkpoints carried it)."""
    config = metadata.get("config") if isinstance(metadata, dict) else None
    return config if isinstance(config, dict) else None


def read_last(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state, metadata) of a resumable checkpoint, checked to be one: a resume reads the file
    once, looks at its settings, then hands both to `load_last`."""
    value, metadata = load_file(path)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a resumable npnn checkpoint")
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {metadata.get('version')} is not "
                              f"supported (this npnn reads version {VERSION})")
    if not isinstance(value, dict) or any(key not in value for key in RESUMABLE_KEYS):
        raise CheckpointError(f"{path}: damaged: a resumable checkpoint holds "
                              f"{', '.join(RESUMABLE_KEYS)}")
    return value, metadata


def load_last(path: str | Path, model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
              config: dict[str, Any] | None = None, config_path: str | Path = "config.json",
              keep_settings: bool = False,
              read: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and RNG in place; return the trainer's state.

    With `config`, refuse (CheckpointError) a checkpoint saved with other settings, naming
    each changed field; pass None to resume anyway (`npnn train --resume --force`).
    `keep_settings` keeps the optimizer's hyperparameters (lr, momentum, weight decay...) as
    built from the new settings, loading only its per-parameter state, and leaves the scheduler
    alone, so that forced changes apply; the caller then steps the scheduler to the position.
    `read` is what `read_last(path)` returned, if it has been read already.
    RuntimeError (from `load_state_dict`) means the model's shape differs from the file's.
    """
    value, metadata = read if read is not None else read_last(path)
    if config is not None and isinstance(metadata.get("config"), dict):
        check_config(metadata["config"], config, path, config_path)
    trainer = value["trainer"]
    if not isinstance(trainer, dict) or not all(is_number(v) for v in trainer.values()):
        raise CheckpointError(f"{path}: damaged trainer state (numbers expected): {trainer!r:.200}")
    check_state(model, value["model"], path)
    load_scheduler = scheduler is not None and value["scheduler"] is not None and not keep_settings
    if load_scheduler:
        _check_like(value["scheduler"], scheduler.state_dict(), path, "scheduler")
    model.load_state_dict(value["model"])
    settings = [{key: item for key, item in group.items() if key != "params"}
                for group in optimizer.param_groups]
    try:
        optimizer.load_state_dict(value["optimizer"])
        if keep_settings:
            for group, kept in zip(optimizer.param_groups, settings, strict=True):
                group.update(kept)
        if load_scheduler:
            scheduler.load_state_dict(value["scheduler"])
        random.set_rng_state(value["rng"])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise CheckpointError(f"{path}: cannot restore the optimizer, scheduler or RNG from it "
                              f"({type(error).__name__}: {error}); the file is damaged, or "
                              f"{config_path} no longer matches it") from None
    return trainer


def _check_like(saved: Any, current: dict[str, Any], path: str | Path, what: str) -> None:
    """`saved` has the same keys as `current`, each holding the same kind of value: loading it
    sets attributes, so anything else would break training later, far from the file."""

    def kind(value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return "flag"
        return "number" if isinstance(value, (int, float)) else type(value).__name__

    if not isinstance(saved, dict) or set(saved) != set(current) or any(
            kind(saved[key]) != kind(current[key]) and "flag" not in (kind(saved[key]), kind(current[key]))
            for key in current):
        raise CheckpointError(f"{path}: damaged {what} state (expected the fields "
                              f"{', '.join(sorted(current))})")


def changed_settings(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """'name old -> new' for each setting both dicts know that differs (data_dir aside)."""
    return describe_changes(saved, current, [name for name in sorted(set(saved) & set(current))
                                             if name not in NOT_COMPARED and saved[name] != current[name]])


def describe_changes(saved: dict[str, Any], current: dict[str, Any], names: list[str]) -> list[str]:
    """'name old -> new' for each of `names`."""
    return [f"{name} {saved[name]!r} -> {current[name]!r}" for name in names]


def fixed_changes(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The FIXED_SETTINGS whose values differ between `saved` and `current` (both must know them)."""
    return [name for name in FIXED_SETTINGS
            if name in saved and name in current and saved[name] != current[name]]


def check_config(saved: dict[str, Any], current: dict[str, Any], path: str | Path,
                 config_path: str | Path = "config.json") -> None:
    """CheckpointError naming every setting that differs between `saved` and `current`.

    Only settings both know are compared: one added or removed by another npnn version is not
    a change the user made.
    """
    changed = changed_settings(saved, current)
    fixed = fixed_changes(saved, current)
    advice = (f"put them back ({', '.join(fixed)} cannot change in a run)" if fixed else
              "put them back, or resume with --force to train on with the new settings")
    if changed:
        raise CheckpointError(f"{config_path} does not match {path}: the settings changed since "
                              f"it was saved ({'; '.join(changed)}); {advice}")


def check_state(model: Module, state: Any, path: str | Path) -> None:
    """CheckpointError if `state` is not a dict of arrays whose dtypes suit `model`.

    Shapes, missing and unexpected keys are left to `model.load_state_dict`, which lists them.
    A floating parameter takes any floating dtype (cast as PyTorch does), never integers or
    booleans; an integer buffer takes integers only.
    """
    _check_arrays(state, path, "model weights")
    wrong = []
    for key, tensor in model.state_dict().items():
        value = state.get(key)
        if value is None:
            continue
        wanted = np.dtype(tensor.dtype)
        if (wanted.kind == "f") != (value.dtype.kind == "f"):
            wrong.append(f"{key}: {value.dtype} in the file, {wanted} in the model")
    if wrong:
        raise CheckpointError(f"{path}: wrong dtype for the model: {'; '.join(wrong)}")


def _check_arrays(state: Any, path: str | Path, what: str) -> None:
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(f"{path}: damaged: no {what} in it")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, np.ndarray):
            raise CheckpointError(f"{path}: damaged: {key!r} is not an array")
        if value.dtype.kind not in "fiu":
            raise CheckpointError(f"{path}: {key}: dtype {value.dtype} is not a number type")
