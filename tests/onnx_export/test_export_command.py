"""`npnn export` on runs trained on the real data: ONNX Runtime gives npnn's outputs on all
10,000 test images, and the file carries what a consumer needs to prepare images."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import npnn
from npnn.cli import main
from npnn.data import CLASS_NAMES, load_fashion_mnist
from npnn.training import TrainConfig, Trainer
from npnn.training.datasets import load_split
from npnn.training.evaluation import load_best_model

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the onnx package (pip install 'npnn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run the files in onnxruntime")

RUNS = {
    "mlp": {"hidden": [64], "dropout": 0.2},
    "cnn": {"model": "cnn", "channels": [8, 16], "cnn_hidden": [32], "batch_norm": True, "dropout": 0.3},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One short real-data run of each model: run directories by name."""
    data = (load_fashion_mnist("train", standardize=True, subset=2000),
            load_fashion_mnist("val", standardize=True, subset=1000))
    out = tmp_path_factory.mktemp("runs")
    for name, settings in RUNS.items():
        config = TrainConfig(**settings, epochs=2, lr=3e-3, batch_size=100, train_subset=2000, seed=0)
        assert Trainer.create(config, out, run_id=name, data=data).fit().status == "finished"
    return {name: out / name for name in RUNS}


@pytest.mark.parametrize("name", RUNS)
def test_onnx_runtime_gives_npnn_outputs_on_every_test_image(name, runs, tmp_path, capsys):
    path = tmp_path / f"{name}.onnx"
    assert main(["export", str(runs[name]), "-o", str(path)]) == 0
    assert f"to {path}" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(path), full_check=True)
    model, config, _ = load_best_model(runs[name])
    model.eval()
    test = load_split(config, "test")
    images = test.images.reshape(-1, 1, 28, 28)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = np.concatenate([session.run(["log_probs"], {"input": images[i:i + 2500]})[0]
                          for i in range(0, len(images), 2500)])
    with npnn.no_grad():
        expected = np.concatenate([model(npnn.tensor(images[i:i + 2500])).numpy()
                                   for i in range(0, len(images), 2500)])
    assert got.shape == (10_000, 10)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert (got.argmax(1) == test.labels).mean() > 0.6  # it learned: chance is 0.1


def test_the_file_says_how_to_prepare_an_image(runs, tmp_path):
    assert main(["export", str(runs["cnn"]), "-o", str(tmp_path)]) == 0  # a folder: model.onnx in it
    proto = onnx.load(tmp_path / "model.onnx")
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["npnn_classes"]) == list(CLASS_NAMES)
    stats = load_fashion_mnist("test", standardize=True, subset=1).normalization
    assert json.loads(meta["npnn_normalization"]) == stats.to_dict()
    assert meta["npnn_run"] == "cnn" and meta["npnn_model"].startswith("CNN channels [8, 16]")
    assert json.loads(meta["npnn_config"])["channels"] == [8, 16]
    assert 0 < float(meta["npnn_val_accuracy"]) <= 1
    shape = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert shape == ["batch", 1, 28, 28]


def test_default_path_and_errors_are_one_line(runs, tmp_path, capsys):
    assert main(["export", str(runs["mlp"])]) == 0
    assert (runs["mlp"] / "model.onnx").is_file()
    assert main(["export", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config.json" in err[0]
    code = ("import sys; sys.modules['onnx'] = None; from npnn.cli import main; "
            f"sys.exit(main(['export', {str(runs['mlp'])!r}, '-o', {str(tmp_path / 'x.onnx')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "pip install 'npnn[onnx]'" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.onnx").exists()


def test_the_readme_snippet_runs_an_exported_model_in_onnx_runtime(runs, tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    first = "import json, numpy as np, onnxruntime as ort\n"
    snippet = readme.split(f"```python\n{first}", 1)[1].split("```", 1)[0]
    path = tmp_path / "model.onnx"
    assert main(["export", str(runs["cnn"]), "-o", str(path)]) == 0
    test = load_fashion_mnist("test", subset=8)
    pixels = np.rint(test.images.reshape(-1, 1, 28, 28) * 255).astype(np.uint8)
    code = (first + snippet
            .replace('"runs/RUN_ID/model.onnx"', repr(str(path)))
            .replace("np.zeros((1, 1, 28, 28), np.uint8)", "PIXELS")
            .replace("print(classes[session.run(None, {\"input\": x})[0].argmax(1)[0]])",
                     "RESULT = [classes[i] for i in session.run(None, {'input': x})[0].argmax(1)]"))
    scope = {"PIXELS": pixels}
    exec(compile(code, "README.md", "exec"), scope)
    model, _, _ = load_best_model(runs["cnn"])
    model.eval()
    stats = load_fashion_mnist("test", standardize=True, subset=1).normalization
    with npnn.no_grad():
        expected = model(npnn.tensor(stats.apply(pixels))).numpy().argmax(1)
    assert scope["RESULT"] == [CLASS_NAMES[i] for i in expected]
