"""The same tutorials on torch give the same numbers as on npnn.

One source per tutorial: the torch run swaps the import lines back (`porting.torch_source`) and
starts from npnn's random draws and Linear weights (`porting.Twin`), so forward values,
gradients, and the parameters and losses after the optimizer's steps must agree to float32
rounding. "Save and Load the Model" has no numbers of its own (its stand-in model is npnn's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from porting import Twin, numbers, run, to_torch, write_mnist_pickle
from tutorial_changes import MNIST_PICKLE, tutorial

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference the tutorials are compared with")

# torch's own Tensor.__array__ (NumPy 2 protocol), reached from matplotlib in the torch run
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

RTOL, ATOL = 1e-5, 1e-6  # float32; summation order differs between NumPy's and torch's kernels
# "What is torch.nn really?" trains 8 models (2 epochs of 10 SGD steps each) and compares them
# after. Its logistic regressions at lr 0.5 diverge on Fashion-MNIST (the validation loss goes
# 4.3 -> 5.0), which amplifies float32 rounding to ~1e-3 (measured 1.2e-3 with torch on 1 thread);
# its CNNs (lr 0.1, momentum 0.9) learn, and agree to 1e-5: checked apart, below
TRAINED = {"nn_tutorial": (5e-3, 1e-4)}

# what each tutorial leaves behind that both runs must agree on
COMPARED = {
    "quickstart_tutorial": ["model", "pred", "predicted", "actual", "x", "y"],
    "tensorqs_tutorial": ["x_data", "x_np", "x_ones", "x_rand", "rand_tensor", "ones_tensor",
                          "zeros_tensor", "t1", "y1", "y2", "y3", "z1", "z2", "z3", "agg_item",
                          "tensor", "t", "n"],
    "transforms_tutorial": ["image", "target"],
    "buildmodel_tutorial": ["model", "X", "y_pred", "input_image", "flat_image", "hidden1", "layer1",
                            "seq_modules", "logits", "pred_probab"],
    "autogradqs_tutorial": ["x", "y", "w", "b", "z", "loss", "z_det", "inp", "out"],
    "optimization_tutorial": ["model"],
    "tensor_tutorial": ["x", "y", "z", "result", "a", "b"],
    "autograd_tutorial": ["data", "labels", "prediction", "loss", "Q", "external_grad", "x", "y", "z",
                          "a", "b", "model"],
    "neural_networks_tutorial": ["net", "input", "out", "output", "target", "loss"],
    "nn_tutorial": ["x_train", "y_train", "x_valid", "y_valid", "weights", "bias", "preds", "xb", "yb",
                    "model"],
}
# printed numbers that must agree: per-batch losses, test accuracy and loss per epoch
# and the validation loss after each epoch of "What is torch.nn really?"'s fit()s
PRINTED = ["^loss:", "Accuracy:", "Avg loss:", r"^[01] (?:tensor\()?"]


def assert_same(ours: Any, theirs: Any, name: str, tolerance: tuple[float, float] = (RTOL, ATOL)) -> None:
    """npnn's value equals torch's: tensors (dtype, requires_grad, values, .grad), modules, numbers."""
    rtol, atol = tolerance
    if isinstance(theirs, torch.nn.Module):
        ours_params, theirs_params = dict(ours.named_parameters()), dict(theirs.named_parameters())
        assert list(ours_params) == list(theirs_params), name
        for key in theirs_params:
            assert_same(ours_params[key], theirs_params[key], f"{name}.{key}", tolerance)
    elif isinstance(theirs, torch.Tensor):
        assert tuple(ours.shape) == tuple(theirs.shape), name
        assert isinstance(ours, npnn.Tensor), f"{name}: npnn gave a {type(ours).__name__}"
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
        assert ours.requires_grad == theirs.requires_grad, name
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol, atol, err_msg=name)
        assert ours.is_leaf == theirs.is_leaf, name
        if not theirs.is_leaf:  # torch warns on .grad of a non-leaf; it is None in both
            return
        assert (ours.grad is None) == (theirs.grad is None), f"{name}.grad"
        if theirs.grad is not None:
            assert_same(ours.grad, theirs.grad, f"{name}.grad", tolerance)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_allclose(ours, theirs, rtol, atol, err_msg=name)
        assert ours.dtype == theirs.dtype, name
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=rtol, abs=atol) and type(ours) is float, name
    else:
        assert type(ours) is type(theirs) and ours == theirs, name


def run_both(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str], twin: Twin | None = None,
             ) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """The tutorial on npnn, then the same code on torch (only the import lines swapped)."""
    twin = twin or Twin(monkeypatch)
    for library in ("npnn", "torch"):
        (tmp_path / library).mkdir()
        if name in MNIST_PICKLE:
            write_mnist_pickle(tmp_path / library / MNIST_PICKLE[name])
    monkeypatch.chdir(tmp_path / "npnn")
    with twin.recording():
        ours = run(tutorial(name), f"{name}.py")
    ours_out = capsys.readouterr().out
    monkeypatch.chdir(tmp_path / "torch")
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the reference's numbers, not its speed: 6x quicker on a busy machine
    try:
        with twin.replaying():
            theirs = run(to_torch(tutorial(name)), f"{name}.py")
    finally:
        torch.set_num_threads(threads)
    return ours, theirs, ours_out, capsys.readouterr().out


@pytest.mark.parametrize("name", list(COMPARED))
def test_tutorial_gives_torchs_numbers(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ours, theirs, ours_out, theirs_out = run_both(name, tmp_path, monkeypatch, capsys)
    rtol, atol = TRAINED.get(name, (RTOL, ATOL))
    for variable in COMPARED[name]:
        assert_same(ours[variable], theirs[variable], variable, (rtol, atol))
    for label in PRINTED:
        np.testing.assert_allclose(numbers(ours_out, label), numbers(theirs_out, label), rtol, atol,
                                   err_msg=label)
    if name == "nn_tutorial":  # the validation losses were there to compare: 2 epochs of 6 loops
        ours_losses, theirs_losses = numbers(ours_out, PRINTED[-1]), numbers(theirs_out, PRINTED[-1])
        assert len(ours_losses) == 12
        # the last 4 fit()s train the CNNs: float32 rounding does not grow there
        np.testing.assert_allclose(ours_losses[-8:], theirs_losses[-8:], RTOL, ATOL, err_msg="CNNs")
    if "train_dataloader" in theirs:  # and the trained model's gradients on the first batch
        for ns in (ours, theirs):
            X, y = next(iter(ns["train_dataloader"]))
            ns["loss_fn"](ns["model"](X), y).backward()
        pairs = zip(ours["model"].named_parameters(), theirs["model"].parameters(), strict=True)
        for (key, param), theirs_param in pairs:
            # a sum of 64 terms that nearly cancel can move one element by ~1e-6: tolerance
            # relative to the gradient's largest element (a wrong backward is off by O(1))
            scale = float(theirs_param.grad.abs().max())
            np.testing.assert_allclose(param.grad.numpy(), theirs_param.grad.numpy(), RTOL, 1e-3 * scale,
                                       err_msg=f"{key}.grad of the trained model")


def test_the_compared_training_moved_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Guards the comparison above: it covers optimizer steps, not just the shared start."""
    twin = Twin(monkeypatch)
    ours, theirs, ours_out, _ = run_both("optimization_tutorial", tmp_path, monkeypatch, capsys, twin)
    initial = twin.linears[0][0]
    for model in (ours["model"], theirs["model"]):
        trained = model.linear_relu_stack[0].weight.detach().numpy()
        assert np.abs(trained - initial).max() > 1e-5  # 2 epochs of 10 SGD steps at lr 1e-3: small steps
    assert len(numbers(ours_out, "^loss:")) == 2 and len(numbers(ours_out, "Avg loss:")) == 2


def test_datasets_and_dataloaders_give_torchs_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """torch's DataLoader, given npnn's shuffled order (Twin), gives npnn's batch: the same images
    and labels, shapes, dtypes and ranges."""
    twin = Twin(monkeypatch)
    ours, theirs, _, _ = run_both("data_tutorial", tmp_path, monkeypatch, capsys, twin)
    assert len(twin.orders) == 1 and sorted(twin.orders[0]) == list(range(640))  # one shuffled epoch
    for variable in ("train_features", "train_labels", "img"):
        assert_same(ours[variable], theirs[variable], variable)
    assert float(ours["train_features"].max()) <= 1 and float(theirs["train_features"].max()) <= 1
