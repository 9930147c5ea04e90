"""The speed run's ratios and its two terminal tables, computed from the worker rows alone."""

from __future__ import annotations

import math
import statistics
from typing import Any

from table import format_table, number, percent

FRAMEWORK_COLUMNS = ("npnn", "torch", "sklearn", "numpy", "gemm")


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def paired_ratio(mine: dict[str, Any] | None, other: dict[str, Any] | None) -> float | None:
    """The median over epochs of (npnn's k-th epoch / the other's k-th epoch).

    The k-th epochs of all frameworks ran in one turn (lockstep.run_in_turns), seconds apart, so
    a change of the machine's speed mostly hits both; the medians of all epochs would compare
    an npnn that met a slow moment with a PyTorch that did not.
    """
    if mine is None or other is None:
        return None
    pairs = [a / b for a, b in zip(mine["epoch_seconds"], other["epoch_seconds"], strict=False) if b]
    return statistics.median(pairs) if pairs else None


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per config: median seconds per framework, npnn's ratios, and the share of time outside BLAS.

    Ratios are paired by epoch (`paired_ratio`); `*_pooled` divides the medians of all epochs
    and `*_min` the fastest epochs. outside BLAS = 1 - (gemm-only time / framework time); it is
    also added to each row.
    """
    summary: list[dict[str, Any]] = []
    for config in dict.fromkeys(row["config"] for row in rows):
        mine = [row for row in rows if row["config"] == config]
        ok = {row["framework"]: row for row in mine if row["status"] == "ok"}
        seconds = {name: row["median_s"] for name, row in ok.items()}
        gemm = seconds.get("gemm")
        for row in ok.values():
            if gemm is not None and row["framework"] != "gemm":
                row["outside_blas"] = 1 - gemm / row["median_s"]
        npnn = ok.get("npnn")
        first = mine[0]
        entry = {"config": config, "model": first["model"], "batch_size": first["batch_size"],
                 "optimizer": first["optimizer"], "median_s": seconds}
        for other in ("torch", "numpy", "sklearn"):
            entry[f"npnn_over_{other}"] = paired_ratio(npnn, ok.get(other))
            entry[f"npnn_over_{other}_pooled"] = _ratio(seconds.get("npnn"), seconds.get(other))
            entry[f"npnn_over_{other}_min"] = _ratio(npnn and npnn["min_s"], ok.get(other, {}).get("min_s"))
        entry["npnn_outside_blas"] = npnn.get("outside_blas") if npnn else None
        summary.append(entry)
    return summary


def _ratio_cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def tables(rows: list[dict[str, Any]], summary: list[dict[str, Any]]) -> str:
    """One row per config (seconds per epoch, ratios), then one row per (config, framework)."""
    headers = ["config", *FRAMEWORK_COLUMNS, "npnn/torch", "npnn/numpy", "npnn outside BLAS"]
    body = [[entry["config"], *(number(entry["median_s"].get(name)) for name in FRAMEWORK_COLUMNS),
             _ratio_cell(entry["npnn_over_torch"]), _ratio_cell(entry["npnn_over_numpy"]),
             percent(entry["npnn_outside_blas"])] for entry in summary]
    details = []
    for row in rows:
        if row["status"] != "ok":
            details.append([row["config"], row["framework"], row["status"].split(":")[0], *["-"] * 7])
            continue
        loss = row["losses"][-1] if row["losses"] else None
        details.append([row["config"], row["framework"], number(row["median_s"]), number(row["min_s"]),
                        f"{row['images_per_s']:,.0f}", f"{row['peak_rss_mib']:.0f}",
                        "-" if loss is None or math.isnan(loss) else f"{loss:.4f}",
                        percent(row.get("outside_blas")), f"{row['process_seconds']:.1f}",
                        percent(row.get("others_cpu"))])
    return ("seconds per epoch (median), and npnn's ratios (median over the turns of the ratio "
            "of two epochs trained one after the other)\n"
            + format_table(headers, body)
            + "\n\nevery row (seconds per epoch; loss: mean training loss of the last measured epoch)\n"
            + format_table(["config", "framework", "median s", "min s", "images/s", "peak RSS MiB",
                            "loss", "outside BLAS", "process s", "busy elsewhere"], details, left=2)
            + "".join(f"\n{row['config']} {row['framework']}: {row['status']}"
                      for row in rows if row["status"].startswith("failed")))
