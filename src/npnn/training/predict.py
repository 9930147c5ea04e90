"""Class probabilities of prepared images: from a run's best model, or from an exported ONNX file
through ONNX Runtime (an optional extra, imported only when an ONNX file is used).

Either way the images go in as training saw them, x = (byte / 255 - mean) / std with the
run's normalization, shaped (N, 1, 28, 28) float32, and log-probabilities come out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.data import CLASS_NAMES, Normalization
from npnn.training.evaluation import load_best_model
from npnn.training.metrics import EVAL_BATCH_SIZE
from npnn.training.normalization import NAMES, run_normalization, valid_normalization
from npnn.training.recipe import Model
from npnn.training.run_dir import RunDir

ONNX_CLASSES = "npnn_classes"  # metadata_props of an exported model: JSON list of class names
ONNX_NORMALIZATION = "npnn_normalization"  # JSON {"name", "mean", "std"}
ONNX_OUTPUT = "log_probs"
ONNX_EXTRA = "pip install 'npnn[onnx]'"
SUM_TOLERANCE = 1e-3  # how far from 1 the probabilities of an image may sum


class PredictError(RuntimeError):
    """A model that cannot predict (an unusable ONNX file, ONNX Runtime missing); the message
    says what to do."""


@dataclass(frozen=True)
class Predictor:
    """What a model needs to classify images: its classes, how its pixels are scaled, and
    `log_probs`, (N, 1, 28, 28) float32 inputs → (N, len(classes)) log-probabilities."""

    classes: tuple[str, ...]
    normalization: Normalization
    log_probs: Callable[[np.ndarray], np.ndarray]

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(N, 28, 28) uint8 images (light on black) → (N, classes) float64 probabilities, in
        batches of EVAL_BATCH_SIZE."""
        pixels = np.asarray(pixels, dtype=np.uint8)
        inputs = self.normalization.apply(pixels).reshape(len(pixels), 1, *pixels.shape[1:])
        parts = [np.asarray(self.log_probs(inputs[start:start + EVAL_BATCH_SIZE]), dtype=np.float64)
                 for start in range(0, len(inputs), EVAL_BATCH_SIZE)]
        if not parts:
            return np.zeros((0, len(self.classes)))
        return np.minimum(np.exp(np.concatenate(parts)), 1.0)


def top_k(probabilities: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Per image, the `k` likeliest classes as (index, probability), likeliest first (ties: the
    lower index first)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return [[(int(index), float(row[index])) for index in indices]
            for row, indices in zip(probabilities, order, strict=True)]


def run_predictor(run_path: str | Path, data_dir: str | None = None) -> Predictor:
    """The best model of a run folder; its normalization from the checkpoint (recomputed from the
    data, found through `data_dir` or the run's config, for a run saved before it was kept)."""
    model, config, metadata = load_best_model(run_path)
    normalization = run_normalization(RunDir(Path(run_path)).best, metadata, config, data_dir)
    model.eval()
    return Predictor(tuple(CLASS_NAMES), normalization, lambda inputs: _model_log_probs(model, inputs))


def _model_log_probs(model: Model, inputs: np.ndarray) -> np.ndarray:
    with no_grad():
        return backend.to_numpy(model(Tensor(inputs)).array)


def onnx_predictor(path: str | Path) -> Predictor:
    """An ONNX file written by `npnn export`, run by ONNX Runtime on the CPU: its input takes
    (batch, 1, 28, 28) float32, its output "log_probs" gives (batch, classes), and its
    metadata_props hold the class names and the normalization."""
    path = Path(path)
    try:
        import onnxruntime  # the optional extra's boundary
    except ImportError:
        raise PredictError(f"predicting with {path} needs ONNX Runtime: {ONNX_EXTRA}") from None
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX file; check the path")
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except _runtime_errors(onnxruntime) as error:
        if path.suffix.lower() != ".onnx":  # an image given first, say
            raise PredictError(f"{path} is neither a run folder nor an ONNX model: the first argument is "
                               "the model (a run folder made by `npnn train` or a .onnx file made by "
                               "`npnn export`), the images follow") from None
        raise PredictError(f"{path}: ONNX Runtime cannot load it ({_first_line(error)}); pass a model "
                           "written by `npnn export`") from None
    classes, normalization = _onnx_metadata(path, session.get_modelmeta().custom_metadata_map)
    input_name = session.get_inputs()[0].name
    outputs = [output.name for output in session.get_outputs()]
    output_name = ONNX_OUTPUT if ONNX_OUTPUT in outputs else outputs[0]

    def log_probs(inputs: np.ndarray) -> np.ndarray:
        try:
            (result,) = session.run([output_name], {input_name: inputs})
        except _runtime_errors(onnxruntime) as error:
            raise PredictError(f"{path}: ONNX Runtime failed on (N, 1, 28, 28) float32 images "
                               f"({_first_line(error)}); export the model again with `npnn export`") from None
        _check_log_probs(path, np.asarray(result), len(inputs), len(classes))
        return result

    return Predictor(classes, normalization, log_probs)


def _onnx_metadata(path: Path, metadata: dict[str, str]) -> tuple[tuple[str, ...], Normalization]:
    missing = [key for key in (ONNX_CLASSES, ONNX_NORMALIZATION) if key not in metadata]
    if missing:
        raise PredictError(f"{path} has no {' or '.join(missing)} in its metadata, so its classes and "
                           "pixel scaling are unknown; export it with `npnn export`")
    try:
        classes, scaling = json.loads(metadata[ONNX_CLASSES]), json.loads(metadata[ONNX_NORMALIZATION])
    except json.JSONDecodeError as error:
        raise PredictError(f"{path}: damaged npnn metadata ({error}); export it again") from None
    if not (isinstance(classes, list) and classes and all(isinstance(name, str) for name in classes)):
        raise PredictError(f"{path}: {ONNX_CLASSES} is not a list of class names ({classes!r}); "
                           "export it again")
    if not valid_normalization(scaling):
        raise PredictError(f"{path}: {ONNX_NORMALIZATION} needs a name ({', '.join(NAMES)}), a finite "
                           f"mean and a positive std ({scaling!r}); export it again")
    return tuple(classes), Normalization(str(scaling["name"]), float(scaling["mean"]), float(scaling["std"]))


def _check_log_probs(path: Path, result: np.ndarray, images: int, classes: int) -> None:
    if result.shape != (images, classes):
        raise PredictError(f"{path}: its output has shape {result.shape}, expected ({images}, {classes}) "
                           "(one row of log-probabilities per image, one column per class in its metadata)")
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.exp(result.astype(np.float64)).sum(axis=1)
    if len(sums) and not np.all(np.abs(sums - 1) <= SUM_TOLERANCE):
        raise PredictError(f"{path}: its output is not log-probabilities (their exponentials sum to "
                           f"{sums.min():.4g}..{sums.max():.4g}, not 1); export the model with its "
                           "LogSoftmax (`npnn export`)")


def _runtime_errors(onnxruntime: Any) -> tuple[type[BaseException], ...]:
    """ONNX Runtime's own exception classes (they derive from Exception only)."""
    state = onnxruntime.capi.onnxruntime_pybind11_state
    names = ("Fail", "InvalidArgument", "InvalidGraph", "InvalidProtobuf", "NoSuchFile", "NotImplemented",
             "RuntimeException", "EPFail", "ModelLoaded", "NoModel", "EngineError")
    return tuple(getattr(state, name) for name in names if hasattr(state, name))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
