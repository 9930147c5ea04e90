"""A model in a few words, for tables of many runs: '784-512-256-10' or 'cnn 32-64 k3 max bn, dense 128',
and the family it belongs to ('2 hidden layers', 'CNN, 2 blocks'), by which tables group runs."""

from __future__ import annotations

from typing import Any


def model_layout(config: dict[str, Any]) -> str:
    """The layout of the model a config (TrainConfig.to_dict()) trains."""
    if config.get("model", "mlp") == "cnn":
        norm = " bn" if config.get("batch_norm") else ""
        convs = f"x{config['convs_per_block']}" if config.get("convs_per_block", 1) > 1 else ""
        return (f"cnn {'-'.join(map(str, config['channels']))}{convs} k{config['kernel_size']} "
                f"{config['pool']}{norm}, dense {'-'.join(map(str, config['cnn_hidden']))}")
    return mlp_layout(config["hidden"])


def mlp_layout(hidden: tuple[int, ...] | list[int]) -> str:
    """The layout of an MLP with these hidden sizes (tables written before the layout column)."""
    return "-".join(["784", *map(str, hidden), "10"])


def layout_family(layout: str) -> tuple[tuple[int, int], str]:
    """(sort key, name) of the family of a layout: MLPs by hidden depth, then CNNs by blocks."""
    if layout.startswith("cnn "):
        blocks = len(layout.split()[1].split("-"))
        return (1, blocks), f"CNN, {blocks} block{'s' if blocks > 1 else ''}"
    depth = len(layout.split("-")) - 2
    return (0, depth), f"{depth} hidden layer{'s' if depth != 1 else ''}"
