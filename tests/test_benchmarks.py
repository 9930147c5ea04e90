"""The speed benchmark runs end to end on the real data (its timings are not asserted: they are
measured by `benchmarks/speed.py` itself, on a quiet machine)."""

import json
import subprocess
import sys
from pathlib import Path

SPEED = Path(__file__).parents[1] / "benchmarks" / "speed.py"


def test_quick_speed_run_writes_every_framework_and_the_ratios(tmp_path):
    out = tmp_path / "speed.json"
    result = subprocess.run([sys.executable, str(SPEED), "--quick", "--epochs", "1", "--warmup", "0",
                             "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record["settings"]["threads"] == 2 and record["machine"]["cpus"] >= 1
    rows = {row["framework"]: row for row in record["rows"]}
    assert set(rows) == {"npnn", "torch", "sklearn", "numpy", "gemm"}
    ok = {name: row for name, row in rows.items() if row["status"] == "ok"}
    assert {"npnn", "numpy", "gemm"} <= set(ok)  # NumPy only: these always run
    assert all(row["status"] in ("ok", "not installed") for row in rows.values())
    for row in ok.values():
        assert len(row["epoch_seconds"]) == 1 and row["median_s"] > 0 and row["peak_rss_mib"] > 50
    trained = {name: row["losses"][-1] for name, row in ok.items() if name != "gemm"}
    assert all(0.2 < loss < 0.8 for loss in trained.values()), trained  # each one learns
    summary = record["summary"][0]
    # one round: the ratio paired by round is the ratio of the medians
    assert summary["npnn_over_numpy"] == ok["npnn"]["median_s"] / ok["numpy"]["median_s"]
    assert summary["npnn_over_numpy_pooled"] == summary["npnn_over_numpy"]
    assert summary["npnn_over_numpy_min"] == ok["npnn"]["min_s"] / ok["numpy"]["min_s"]
    assert 0 < summary["npnn_outside_blas"] < 1
    assert "npnn/torch" in result.stdout and "784-256-10 b128 adam" in result.stdout


def test_ratios_pair_each_round_so_a_slow_spell_hits_both_sides():
    sys.path.insert(0, str(SPEED.parent))
    try:
        from speed_report import paired_ratio
    finally:
        sys.path.remove(str(SPEED.parent))
    # round 2 is a slow spell for both sides: per round npnn is 0.8, 0.8 and 1.0 of torch
    npnn = {"round_medians": [0.8, 1.6, 1.0]}
    torch = {"round_medians": [1.0, 2.0, 1.0]}
    assert paired_ratio(npnn, torch) == 0.8
    assert paired_ratio(npnn, None) is None
