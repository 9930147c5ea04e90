"""The exported graph checked against the model on a second input, in ONNX Runtime.

A trace records what one forward pass computed: a value the forward derives from its input
outside npnn's differentiable ops (a comparison, `.item()`, an integer cast) is recorded as a
constant, and a shape fixed by the example's batch size would break another batch. Running the
graph once more on a different random input, at a different batch size, catches both before a
wrong file is written.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import onnx

from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.errors import OnnxExportError
from npnn.nn.module import Module
from npnn.onnx.trace import eval_mode

RTOL, ATOL = 1e-3, 1e-4  # float32 rounding differs between the two; a wrong graph is far off
CONSTANTS = ("the forward computes something from its input outside npnn's differentiable ops (a "
             "comparison, .item(), an integer cast), which a trace records as a constant")
FIX = ("write it with differentiable ops (npnn.where, clamp, relu) or pass verify=False to write the "
       "file anyway")


def check_outputs(model: Module, proto: onnx.ModelProto, examples: tuple[Tensor, ...],
                  dynamic_batch: bool) -> None:
    """OnnxExportError unless ONNX Runtime gives the model's outputs on new random inputs (nothing
    is checked where onnxruntime is not installed)."""
    if importlib.util.find_spec("onnxruntime") is None:
        return
    import onnxruntime  # the one boundary of the optional runtime

    inputs = _second_inputs(examples, dynamic_batch)
    try:
        session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        got = session.run(None, {item.name: x for item, x in zip(session.get_inputs(), inputs, strict=True)})
    except Exception as error:  # onnxruntime's own exception types
        raise OnnxExportError(f"ONNX Runtime could not run the exported graph on a second input, of "
                              f"shape {inputs[0].shape} ({_first_line(error)}): a value the trace "
                              f"recorded as a constant has the example's batch size ({CONSTANTS}); "
                              f"{FIX}, or export with dynamic_batch=False if the model only takes its "
                              "example's batch size") from None
    expected = _model_outputs(model, inputs)
    for name, ours, theirs in zip([o.name for o in proto.graph.output], expected, got, strict=True):
        scale = max(1.0, float(np.abs(ours).max())) if ours.size else 1.0
        if ours.shape != theirs.shape or not np.allclose(theirs, ours, rtol=RTOL, atol=ATOL * scale):
            raise OnnxExportError(
                f"the exported graph does not give the model's output {name!r} on a second input "
                f"(largest difference {_difference(ours, theirs)}): {CONSTANTS}; {FIX}")


def _second_inputs(examples: tuple[Tensor, ...], dynamic_batch: bool) -> list[np.ndarray]:
    """Random inputs like the examples (their mean and spread), one more in the batch."""
    rng = np.random.default_rng(20261206)
    inputs = []
    for example in examples:
        array = np.asarray(example.array)
        shape = ((array.shape[0] + 1, *array.shape[1:]) if dynamic_batch and array.ndim else array.shape)
        spread = float(array.std()) if array.size and array.std() > 0 else 1.0
        mean = float(array.mean()) if array.size else 0.0
        inputs.append((mean + spread * rng.standard_normal(shape)).astype(array.dtype))
    return inputs


def _model_outputs(model: Module, inputs: list[np.ndarray]) -> list[np.ndarray]:
    with eval_mode(model), no_grad():
        output = model(*[Tensor(x) for x in inputs])
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    return [np.asarray(item.numpy()) for item in outputs]


def _difference(ours: np.ndarray, theirs: Any) -> str:
    if ours.shape != np.shape(theirs):
        return f"shape {np.shape(theirs)} where the model gives {ours.shape}"
    return f"{float(np.abs(ours - theirs).max()):.3g}"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
