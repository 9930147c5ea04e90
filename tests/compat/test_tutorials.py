"""PyTorch's "Learn the Basics" tutorials run on npnn with only their imports changed.

Each `tutorials/<name>.py` is the published code with npnn's imports; `tutorial_changes` lists
every other change (fewer epochs; stand-ins while a core feature is in progress). These tests
check what each tutorial computes on npnn alone; test_tutorials_torch compares it with torch.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from porting import numbers, run
from tutorial_changes import TUTORIALS, WHOLE_MODEL, before_whole_model_save, tutorial

import npnn


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_verbatim(name: str) -> None:
    source = tutorial(name)
    if name == "saveloadrun_tutorial":
        source = before_whole_model_save(source)  # the refusal has its own test below
    run(source, f"{name}.py")


def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run(tutorial("quickstart_tutorial"), "quickstart_tutorial.py")
    out = capsys.readouterr().out
    # the shape's printed form (a tuple today, npnn.Size soon) is not what is checked here
    assert re.search(r"Shape of X \[N, C, H, W\]: \S*64, 1, 28, 28\S*\nShape of y: \S*64\S* \S*int64", out)
    assert ns["X"].shape == (64, 1, 28, 28)  # the first test batch
    losses = numbers(out, "Avg loss:")
    assert len(losses) == 2 and losses[-1] < losses[0]  # SGD at lr 1e-3 learns, slowly
    assert re.search(r'Predicted: "[^"]+", Actual: "Ankle boot"', out)  # test image 0 is an ankle boot


def test_tensors() -> None:
    ns = run(tutorial("tensorqs_tutorial"), "tensorqs_tutorial.py")
    assert ns["x_data"].dtype == np.int64 and ns["x_rand"].dtype == np.float32
    assert ns["tensor"].device == "cpu" or str(ns["tensor"].device) == "cpu"
    for name in ("y2", "y3"):
        np.testing.assert_array_equal(ns[name].numpy(), ns["y1"].numpy())
    for name in ("z2", "z3"):
        np.testing.assert_array_equal(ns[name].numpy(), ns["z1"].numpy())
    assert ns["agg_item"] == 12.0 and type(ns["agg_item"]) is float
    np.testing.assert_array_equal(ns["t"].numpy(), np.full(5, 2.0))  # from_numpy shares memory
    assert ns["t"].dtype == np.float64


def test_datasets_and_dataloaders(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run(tutorial("data_tutorial"), "data_tutorial.py")
    printed = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"Feature batch shape: \S*64, 1, 28, 28\S*", printed[0])
    assert re.fullmatch(r"Labels batch shape: \S*64\S*", printed[1])
    assert ns["train_features"].shape == (64, 1, 28, 28) and ns["train_labels"].shape == (64,)
    assert printed[2].startswith("Label: ") and 0 <= int(ns["label"]) <= 9
    features = ns["train_features"]
    assert features.dtype == np.float32 and float(features.min()) >= 0 and float(features.max()) <= 1
    assert ns["img"].shape == (28, 28)
    assert issubclass(ns["CustomImageDataset"], npnn.utils.data.Dataset)
    assert not os.path.exists("data")  # found in Debian's directory: nothing downloaded


def test_transforms() -> None:
    ns = run(tutorial("transforms_tutorial"), "transforms_tutorial.py")
    assert ns["target"].tolist() == [0.0] * 9 + [1.0]  # the first training image is an ankle boot
    assert ns["image"].shape == (1, 28, 28) and ns["image"].dtype == np.float32


def test_build_the_neural_network(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run(tutorial("buildmodel_tutorial"), "buildmodel_tutorial.py")
    out = capsys.readouterr().out
    assert "Using cpu device" in out and "(linear_relu_stack): Sequential(" in out
    np.testing.assert_allclose(ns["pred_probab"].sum(1).numpy(), np.ones(3), rtol=1e-6)
    assert ns["flat_image"].shape == (3, 784) and ns["hidden1"].shape == (3, 20)
    assert float(ns["hidden1"].min()) >= 0  # after ReLU
    assert out.count("Layer: linear_relu_stack.") == 6


def test_automatic_differentiation(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run(tutorial("autogradqs_tutorial"), "autogradqs_tutorial.py")
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line in ("True", "False")] == ["True", "False", "False"]
    x, w, b = ns["x"].numpy(), ns["w"].detach().numpy(), ns["b"].detach().numpy()
    grad_z = (1 / (1 + np.exp(-(x @ w + b)))) / 3  # d mean(BCE-with-logits against 0) / dz
    np.testing.assert_allclose(ns["w"].grad.numpy(), np.outer(x, grad_z), rtol=1e-5)
    np.testing.assert_allclose(ns["b"].grad.numpy(), grad_z, rtol=1e-5)
    np.testing.assert_array_equal(ns["inp"].grad.numpy(), 2 * (np.eye(4, 5) + 1))  # after zero_()


def test_optimizing_model_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    run(tutorial("optimization_tutorial"), "optimization_tutorial.py")
    out = capsys.readouterr().out
    losses = numbers(out, "Avg loss:")
    assert len(losses) == 2 and losses[-1] < losses[0]
    assert out.rstrip().endswith("Done!")


def test_save_and_load_the_model() -> None:
    source = tutorial("saveloadrun_tutorial")
    ns = run(before_whole_model_save(source), "saveloadrun_tutorial.py")
    assert os.path.exists("model_weights.pth") and not ns["model"].training  # model.eval() ran
    saved = npnn.load("model_weights.pth")
    for key, value in ns["model"].state_dict().items():
        np.testing.assert_array_equal(value.numpy(), np.asarray(saved[key]))
    # Known difference: torch.save(model) pickles the module; npnn has no pickle, by design.
    with pytest.raises(TypeError, match=r"cannot save a whole model: save model\.state_dict\(\)"):
        exec(WHOLE_MODEL, ns)
    assert not os.path.exists("model.pth")
