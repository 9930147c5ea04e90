"""The report's "Setup" section: data split, model, loss, optimizer, machine and time, in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from npnn.data.load import TRAIN_FILE_IMAGES, split_sizes
from npnn.report.document import Bullets, Section, Table
from npnn.training.config import TrainConfig
from npnn.training.machine import blas_text

TEST_IMAGES = 10_000


def data_text(config: TrainConfig) -> str:
    """Where the three splits come from and how pixels were scaled."""
    train, val = split_sizes(config.val_split, config.val_fraction)
    train = min(config.train_subset or train, train)
    split = (f"its last {val:,} images" if config.val_split == "tail"
             else f"{val:,} images drawn stratified by class")
    scaling = ("standardized with the training split's pixel mean and std" if config.standardize
               else "scaled to [0, 1]")
    augment = f"; training images augmented: {augment_text(config)}" if config.augment else ""
    return (f"Fashion-MNIST: {train:,} training images and {val:,} validation images from the "
            f"{TRAIN_FILE_IMAGES:,}-image training file (validation = {split}), {TEST_IMAGES:,} test "
            f"images from the test file; 28×28 grey pixels {scaling}{augment}.")


def augment_text(config: TrainConfig) -> str:
    """The augmentation of the training batches in words."""
    parts = []
    if config.augment_shift:
        parts.append(f"shifted by up to {config.augment_shift} pixels (random crop with padding "
                     f"{config.augment_shift})")
    if config.augment_flip:
        parts.append("half mirrored left-right")
    if config.augment_erase:
        parts.append(f"a random rectangle erased with probability {config.augment_erase:g}")
    return ", ".join(parts) or "nothing changed (every augmentation off)"


def model_text(config: TrainConfig) -> str:
    """Which model the run trains, layer by layer, in one sentence."""
    dropout = f", dropout {config.dropout:g} after each hidden layer" if config.dropout else ""
    if config.model == "cnn":
        norm = ", batch norm" if config.batch_norm else ""
        side = 28 >> len(config.channels)
        dense = " → ".join([str(config.channels[-1] * side * side), *map(str, config.cnn_hidden), "10"])
        convs = (f"{config.convs_per_block} × ({config.kernel_size}×{config.kernel_size} convolution"
                 if config.convs_per_block > 1 else f"{config.kernel_size}×{config.kernel_size} convolution")
        close = ")" if config.convs_per_block > 1 else ""
        return (f"CNN: {len(config.channels)} blocks of {convs} (size kept by padding){norm}, "
                f"{config.activation}{close} and {config.pool}-pooling "
                f"by 2, with {', '.join(map(str, config.channels))} channels (28×28 → {side}×{side}); then "
                f"Linear layers {dense} with {config.activation} between them{dropout}, LogSoftmax output.")
    layers = " → ".join(["784", *(str(h) for h in config.hidden), "10"])
    return (f"MLP {layers}: Linear layers with {config.activation} between them{dropout}, "
            "LogSoftmax output.")


def loss_text(config: TrainConfig) -> str:
    smoothing = f" with label smoothing {config.label_smoothing:g}" if config.label_smoothing else ""
    penalty = ""
    if config.regularization != "none":
        norm = "Σw²" if config.regularization == "l2" else "Σ|w|"
        penalty = (f" plus {config.regularization.upper()} penalty {config.reg_strength:g}·{norm} "
                   "on the weights")
    return f"Negative log-likelihood (cross-entropy){smoothing}{penalty}."


def optimizer_text(config: TrainConfig) -> str:
    name = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}[config.optimizer]
    extra = ""
    if config.optimizer == "sgd" and config.momentum:
        extra = f", momentum {config.momentum:g}" + (" (Nesterov)" if config.nesterov else "")
    if config.weight_decay:
        extra += f", weight decay {config.weight_decay:g}"
    schedule = {"constant": "constant learning rate",
                "cosine": "cosine decay to zero over the run",
                "step": f"×{config.step_gamma:g} every {config.step_epochs} epochs"}[config.schedule]
    warmup = f" after {config.warmup_steps} warm-up steps" if config.warmup_steps else ""
    clip = f"; gradients clipped to norm {config.clip_grad_norm:g}" if config.clip_grad_norm else ""
    stop = (f"; early stopping after {config.patience} evaluations without improvement"
            if config.patience else "")
    return (f"{name}, lr {config.lr:g}{extra}, {schedule}{warmup}; batch {config.batch_size}, "
            f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}{clip}{stop}; seed {config.seed}.")


def machine_text(machine: dict[str, Any] | None) -> str:
    if not machine:
        return "not recorded (runs made before npnn wrote machine.json)"
    threads = machine.get("blas_threads")
    blas = f", BLAS threads {threads}" if threads else ""
    library = blas_text(machine)
    library = f" with {library}" if library else ""
    return (f"{machine.get('processor', '?')}, {machine.get('cpus_usable') or machine.get('cpus')} "
            f"usable cores{blas}; {machine.get('system', '?')}, Python {machine.get('python', '?')}, "
            f"NumPy {machine.get('numpy', '?')}{library}")


def duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def setup_section(section: Section, config: TrainConfig, machine: dict[str, Any] | None,
                  time_text: str) -> None:
    """Fill `section` with the run's (or a search's representative run's) setup."""
    section.add(Bullets([
        f"Data: {data_text(config)}",
        f"Model: {model_text(config)}",
        f"Loss: {loss_text(config)}",
        f"Optimizer: {optimizer_text(config)}",
        f"Machine: {machine_text(machine)}.",
        f"Time: {time_text}.",
    ]))


def varying_fields(configs: Sequence[TrainConfig]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Split config fields into those equal in every trial and those that vary (sorted values)."""
    dicts = [c.to_dict() for c in configs]
    fixed, varying = {}, {}
    for name in dicts[0] if dicts else []:
        values = {_key(d[name]): d[name] for d in dicts}
        if len(values) == 1:
            fixed[name] = dicts[0][name]
        else:
            varying[name] = [values[k] for k in sorted(values)]
    return fixed, varying


def _key(value: Any) -> Any:
    """A sortable, hashable key (lists become tuples; None sorts first)."""
    if isinstance(value, list):
        return (1, tuple(value))
    return (0, "") if value is None else (1, value) if not isinstance(value, str) else (2, value)


def fields_table(fixed: dict[str, Any], varying: dict[str, list[Any]]) -> Table:
    """What every trial shared and what the search varied."""
    rows = [[name, _show(values, many=True), "searched"] for name, values in varying.items()]
    rows += [[name, _show(value), "fixed"] for name, value in fixed.items() if name != "data_dir"]
    return Table("Configuration of the trials (TrainConfig fields)", ["field", "value(s)", "kind"], rows)


def _show(value: Any, many: bool = False) -> str:
    if many:
        return ", ".join(_show(v) for v in value)
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def setup_table(configs: Sequence[TrainConfig]) -> Table:
    """The report's setup table of some runs' configs: each field with its value, or the values
    the runs took where they differ ("searched")."""
    return fields_table(*varying_fields(configs))
