"""The speed benchmark runs end to end on the real data (its timings are not asserted: they are
measured by `benchmarks/speed.py` itself, on a quiet machine)."""

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SPEED = Path(__file__).parents[1] / "benchmarks" / "speed.py"


def test_quick_speed_run_writes_every_framework_and_the_ratios(tmp_path):
    out = tmp_path / "speed.json"
    result = subprocess.run([sys.executable, str(SPEED), "--quick", "--epochs", "1", "--warmup", "0",
                             "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record["settings"]["threads"] == 2 and record["machine"]["cpus"] >= 1
    machine = record["machine"]  # the CPU and the BLAS kernel beside every figure, printed above the table
    assert machine["blas"].split()[0] in ("openblas", "mkl", "blis") and machine["blas_kernel"]
    line = f"{machine['processor']}, {machine['blas']} ({machine['blas_kernel']} kernels), 2 threads"
    assert line in result.stdout
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
    # one epoch each: the ratio paired by epoch is the ratio of the medians
    assert summary["npnn_over_numpy"] == ok["npnn"]["median_s"] / ok["numpy"]["median_s"]
    assert summary["npnn_over_numpy_pooled"] == summary["npnn_over_numpy"]
    assert summary["npnn_over_numpy_min"] == ok["npnn"]["min_s"] / ok["numpy"]["min_s"]
    # derived from the two medians (its sign is the machine's: a busy moment can slow the products alone)
    assert summary["npnn_outside_blas"] == 1 - ok["gemm"]["median_s"] / ok["npnn"]["median_s"] < 1
    assert "npnn/torch" in result.stdout and "784-256-10 b128 adam" in result.stdout


def _benchmark_module(name):
    """A module of benchmarks/ (a folder of scripts, not a package)."""
    sys.path.insert(0, str(SPEED.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(SPEED.parent))


def test_ratios_pair_the_epochs_of_one_turn_so_a_slow_moment_hits_both_sides():
    paired_ratio = _benchmark_module("speed_report").paired_ratio
    # turn 2 is a slow moment for both sides: turn by turn npnn is 0.8, 0.8 and 1.0 of torch
    npnn = {"epoch_seconds": [0.8, 1.6, 1.0]}
    torch = {"epoch_seconds": [1.0, 2.0, 1.0]}
    assert paired_ratio(npnn, torch) == 0.8
    assert paired_ratio(npnn, None) is None


FAKE_WORKER = """
import json, sys, time
print("some library's chatter")
print("npnn-bench " + json.dumps({"ready": True}), flush=True)
for done, line in enumerate(sys.stdin):
    if line.strip() != "epoch":
        break
    if done == int(sys.argv[1]):
        sys.exit("boom: worker gave up")
    print("npnn-bench " + json.dumps({"seconds": 0.01, "loss": 0.5, "cpu": 0.01}), flush=True)
"""




def test_frameworks_train_in_turns_and_a_failing_worker_is_reported_while_the_others_go_on():
    lockstep = _benchmark_module("lockstep")
    workers = {name: lockstep.LockstepWorker([sys.executable, "-c", FAKE_WORKER, str(fails_at)], {}, 30)
               for name, fails_at in (("steady", 99), ("fragile", 1))}
    for worker in workers.values():
        worker.wait_ready()
    records = lockstep.run_in_turns(workers, epochs=3)
    assert [record["seconds"] for record in records["steady"]] == [0.01] * 3
    assert records["fragile"][0]["seconds"] == 0.01
    assert records["fragile"][1] == {"failed": "boom: worker gave up"} and len(records["fragile"]) == 2
    assert workers["steady"].stop() > 0


def test_a_worker_that_never_answers_is_stopped_after_the_timeout():
    lockstep = _benchmark_module("lockstep")
    worker = lockstep.LockstepWorker([sys.executable, "-c", "import time; time.sleep(60)"], {}, 0.5)
    with pytest.raises(lockstep.WorkerError, match="no answer within"):
        worker.wait_ready()
    assert worker.process.poll() is not None  # killed, not left running


def test_cnn_rows_train_and_infer_on_the_stated_images_in_npnn_and_pytorch_only(tmp_path):
    out = tmp_path / "speed.json"
    result = subprocess.run([sys.executable, str(SPEED), "--models", "cnn", "--batch-sizes", "64",
                             "--epochs", "1", "--warmup", "0", "--cnn-images", "200", "--test-images", "300",
                             "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record["settings"]["cnn_train_images"] == 200 and record["settings"]["test_images"] == 300
    rows = {(row["config"], row["framework"]): row for row in record["rows"]}
    expected = {"npnn", "torch"} if importlib.util.find_spec("torch") else {"npnn"}
    assert {framework for _, framework in rows} <= {"npnn", "torch"}  # no MLP-only workers
    for config, images in (("cnn b64 adam", 200), ("cnn b64 inference", 300)):
        for framework in expected:
            row = rows[config, framework]
            assert row["status"] == "ok" and row["images"] == images
            assert row["images_per_s"] == images / row["median_s"]
            assert 1.0 < row["losses"][-1] < 3.0  # 10 classes: about ln 10 = 2.3 untrained
    assert "first 200 of the 48,000 training images" in result.stdout
    assert "cnn b64 inference" in result.stdout
