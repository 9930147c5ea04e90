"""What a resume may continue and change: the run's status (nothing left to train, or diverged),
new settings over its config.json, and its settings against those its checkpoints were saved
with."""

from __future__ import annotations

from typing import Any

from npnn.training import checkpoint
from npnn.training.config import ConfigError, TrainConfig
from npnn.training.errors import ResumeError, RunCompleteError
from npnn.training.recipe import l2_as_weight_decay
from npnn.training.restore import CheckpointFile
from npnn.training.run_dir import COMPLETE, DIVERGED, RunDir

# settings that decide whether an L2 penalty is applied as weight decay, in its own param group
_GROUPING = ("regularization", "clip_grad_norm")


def check_resumable(run: RunDir, status: dict[str, Any], force: bool) -> None:
    """Refuse a run with `status` that there is nothing to resume in: RunCompleteError for a
    finished or early-stopped run, ResumeError (saying how to go on) for a diverged one unless
    `force`."""
    state = status["status"]
    if state in COMPLETE:
        raise RunCompleteError(run, status)
    if state == DIVERGED and not force:
        raise ResumeError(f"{run.path} diverged at step {status.get('step', '?')}; "
                          "start a new run with a smaller --lr, or continue from its last "
                          f"checkpoint with `npnn train --resume {run.path} --force --lr SMALLER`")


def resumed_config(run: RunDir, overrides: dict[str, Any], force: bool
                   ) -> tuple[TrainConfig, list[str]]:
    """The run's config.json with `overrides` (TrainConfig field values) over it, and
    'name old -> new' for each setting that changes.

    A changed data_dir is stored resolved, as `Trainer.create` does. A ConfigError about a value
    of `overrides` names no file (the caller gave it); one about config.json names that file. A
    change without `force` is a ConfigError naming the first changed setting.
    """
    before = TrainConfig.load(run.config)
    config = TrainConfig.from_dict({**before.to_dict(), **overrides})
    if config.data_dir != before.data_dir:
        config = config.with_resolved_data_dir()
    old, new = before.to_dict(), config.to_dict()
    differ = [name for name in new if old[name] != new[name]]
    if differ and not force:
        name = differ[0]
        raise ConfigError(name, f"differs from {run.config} ({old[name]!r} -> {new[name]!r}); "
                          "resume with force=True to change the run's settings")
    return config, checkpoint.changed_settings(old, new)


def check_settings(run: RunDir, stored: CheckpointFile | None, config: TrainConfig, force: bool,
                   from_flags: bool) -> dict[str, Any] | None:
    """The settings the run's checkpoints were saved with (None if they do not say), after
    refusing `config` where it cannot continue them.

    `stored` is the run's last.safetensors, or its best.safetensors when the run starts
    again from scratch (`read_checkpoint`). Without `force`, any change since last.safetensors is a
    CheckpointError listing them all. A change of a FIXED_SETTINGS field (or of the optimizer's
    parameter groups) is a ConfigError naming it, forced or not, and also against
    best.safetensors: the kept best model must be one of this run's. `from_flags` blames the
    command line rather than config.json.
    """
    if stored is None:
        return None
    source = stored.path
    saved = checkpoint.saved_config(stored.metadata)
    if saved is None:
        return None
    current = config.to_dict()
    if not force and source == run.last:
        checkpoint.check_config(saved, current, source, run.config)
        return saved
    changed = checkpoint.fixed_changes(saved, current)
    reasons = dict(checkpoint.FIXED_SETTINGS)
    if source == run.last and not changed and _regrouped(saved, config):
        changed = [name for name in _GROUPING if saved.get(name) != current[name]][:1]
        reasons.update(dict.fromkeys(_GROUPING, "the saved optimizer state groups the parameters "
                                     "for the old setting (an L2 penalty as weight decay or not)"))
    if changed:
        name = changed[0]
        error = ConfigError(name, f"cannot change on --resume ({saved[name]!r} -> {current[name]!r}): "
                            f"{reasons[name]}; start a new run for it")
        raise error if from_flags else error.in_file(run.config)
    return saved


def _regrouped(saved: dict[str, Any], config: TrainConfig) -> bool:
    """Whether the optimizer's parameter groups differ between the saved settings and `config`."""
    try:
        old = config.replace(**{name: saved[name] for name in (*_GROUPING, "reg_strength", "optimizer")
                                if name in saved})
    except (ConfigError, TypeError):
        return False
    return l2_as_weight_decay(old) != l2_as_weight_decay(config)
