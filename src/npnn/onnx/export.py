"""`npnn.onnx.export(model, args, f)`: a model as an ONNX file, in torch.onnx.export's shape.

The model runs once on the example input in eval mode (as torch.onnx exports inference) while
its ops are traced; each op becomes ONNX nodes, the parameters and buffers become initializers
under their state_dict names. Differs from torch.onnx.export: the batch dimension is dynamic by
default (`dynamic_batch=False` fixes it to the example's), `dynamic_axes` and the other
keywords of the TorchScript exporter are not taken, and `metadata` sets the model's
metadata_props (strings a consumer reads, such as the class names).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper

import npnn
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import enable_grad
from npnn.nn.module import Module
from npnn.onnx.graph import Graph, OnnxExportError
from npnn.onnx.layers import CONVERTERS as LAYER_CONVERTERS
from npnn.onnx.padding import CONVERTERS as PADDING_CONVERTERS
from npnn.onnx.tensor_ops import CONVERTERS as TENSOR_CONVERTERS
from npnn.onnx.trace import Adopt, Call, eval_mode, trace
from npnn.onnx.verify import check_outputs
from npnn.serialization import atomic_write_bytes

CONVERTERS = {**LAYER_CONVERTERS, **TENSOR_CONVERTERS, **PADDING_CONVERTERS}
OPSETS = range(17, 22)  # what the converters are written for; 17 is the default (ORT 1.14 and later)
IR_VERSION = 8  # the oldest IR that opset 17 allows, so that older runtimes read the file
BATCH = "batch"


def export(model: Module, args: Any, f: str | os.PathLike[str] | io.IOBase, *,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           opset_version: int = 17, dynamic_batch: bool = True,
           metadata: Mapping[str, str] | None = None, doc_string: str = "",
           verify: bool = True) -> onnx.ModelProto:
    """Write `model` as ONNX to the path or binary file `f` and return the ModelProto.

    `args` is the example input (a Tensor or array, or a tuple of them). An op npnn cannot
    write as ONNX raises OnnxExportError naming the layer that called it. Values the forward
    computes outside npnn's differentiable ops (comparisons, .item(), integer casts) would be
    recorded as constants: so, where ONNX Runtime is installed and `verify` is on, the graph is
    run on a second random input (at another batch size) and must give the model's outputs, or
    nothing is written and OnnxExportError says so.
    """
    if opset_version not in OPSETS:
        raise ValueError(f"opset_version={opset_version}: npnn writes opsets "
                         f"{OPSETS.start}-{OPSETS.stop - 1}")
    inputs = _example_inputs(args)
    proto = build(model, inputs, input_names, output_names, opset_version, dynamic_batch)
    helper.set_model_props(proto, {key: str(value) for key, value in (metadata or {}).items()})
    proto.doc_string = doc_string
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise OnnxExportError(f"the exported graph failed onnx.checker ({error}); this is npnn's "
                              "mistake: please report it with the model") from None
    if verify:
        check_outputs(model, proto, inputs, dynamic_batch)
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)  # type: ignore[union-attr]
    else:
        atomic_write_bytes(f, data)  # type: ignore[arg-type]
    return proto


def build(model: Module, inputs: tuple[Tensor, ...], input_names: Sequence[str] | None,
          output_names: Sequence[str] | None, opset: int, dynamic_batch: bool) -> onnx.ModelProto:
    """The ModelProto of `model` traced on `inputs` (metadata and checks aside)."""
    with eval_mode(model):
        calls, output = trace(model, inputs)
    outputs = _outputs(output)
    named = _named_arrays(model)
    taken = {name for name, _ in named.values()}
    input_names = _names(input_names, len(inputs), "input", "input_names", taken)
    output_names = _names(output_names, len(outputs), "output", "output_names", taken | set(input_names))
    graph = Graph(named, opset, taken | set(input_names) | set(output_names))
    for tensor, name in zip(inputs, input_names, strict=True):
        graph.bind(tensor.array, name)
        graph.batch_axis[name] = 0 if dynamic_batch and tensor.ndim else None
    for call in calls:
        if isinstance(call, Adopt):
            graph.bind(call.array, graph.value(call.source))
        else:
            _convert(graph, call)
    result_names = _name_outputs(graph, outputs, output_names)
    graph.drop_unused(result_names)
    return helper.make_model(
        helper.make_graph(graph.nodes, "npnn", [_value_info(n, t, graph) for n, t in zip(input_names, inputs,
                                                                                          strict=True)],
                          [_value_info(n, t, graph) for n, t in zip(result_names, outputs, strict=True)],
                          initializer=list(graph.initializers.values())),
        opset_imports=[helper.make_opsetid("", opset)], producer_name="npnn",
        producer_version=npnn.__version__, ir_version=IR_VERSION)


def _convert(graph: Graph, call: Call) -> None:
    converter = CONVERTERS.get(call.op)
    if converter is None:
        raise OnnxExportError(f"{call.layer} cannot be exported to ONNX: its op {call.op} has no ONNX "
                              f"conversion in npnn (supported: {', '.join(sorted(CONVERTERS))})")
    items = [item for item in call.arrays if item is not None]
    names = [_promoted(graph, graph.value(item, call.output), item, call, position)
             for position, item in enumerate(items)]
    graph.bind(call.output_array, converter(graph, call, names))


def _promoted(graph: Graph, name: str, item: Any, call: Call, position: int) -> str:
    """An input in another float/int dtype than the op's result cast to it, as npnn's `apply`
    promoted it (ONNX ops take one dtype); a Where's condition and a Cast's input stay."""
    dtype = getattr(item, "dtype", None)
    out = call.output.dtype
    if (dtype is None or np.dtype(dtype) == out or np.dtype(out).kind != "f" or call.op == "Cast"
            or (call.op == "Where" and position == 0)):
        return name
    return graph.node("Cast", [name], "promoted", graph.batch_axis.get(name),
                      to=helper.np_dtype_to_tensor_dtype(out))


def _example_inputs(args: Any) -> tuple[Tensor, ...]:
    """Fresh float tensors that require grad (so every op on them is traced), each the result of
    a copy rather than a leaf, so that a forward may change its input in place."""
    items = args if isinstance(args, (tuple, list)) else (args,)
    if not items:
        raise ValueError("export needs an example input (args), as torch.onnx.export")
    tensors = []
    for item in items:
        array = item.array if isinstance(item, Tensor) else np.asarray(item)
        if not hasattr(item, "shape") or np.dtype(array.dtype).kind != "f":
            raise TypeError(f"export: the example input must be floating-point tensors or arrays, got "
                            f"{type(item).__name__} of {getattr(array, 'dtype', '?')}")
        with enable_grad():
            tensors.append(Tensor(array.copy(), requires_grad=True).clone())
    return tuple(tensors)


def _outputs(output: Any) -> list[Tensor]:
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    if not outputs or not all(isinstance(item, Tensor) for item in outputs):
        raise OnnxExportError(f"the model returned {type(output).__name__}; export writes a model that "
                              "returns a Tensor or a tuple of Tensors")
    return outputs


def _names(names: Sequence[str] | None, count: int, default: str, argument: str,
           taken: set[str]) -> list[str]:
    """The graph's input or output names: the given ones, else `default` (numbered), never a name
    a parameter, buffer or input already has."""
    if names is None:
        base = default
        while base in taken or any(f"{base}_{i}" in taken for i in range(count)):
            base = f"{base}_"
        return [base] if count == 1 else [f"{base}_{i}" for i in range(count)]
    names = list(names)
    if len(names) != count or len(set(names)) != count or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{argument}={names!r}: give {count} distinct non-empty names")
    if taken & set(names):
        raise ValueError(f"{argument}={names!r}: {sorted(taken & set(names))[0]!r} is already the name "
                         "of a parameter, buffer or input; choose another")
    return names


def _name_outputs(graph: Graph, outputs: list[Tensor], names: list[str]) -> list[str]:
    """Give the graph's results their names: the node that makes each is renamed, or an Identity
    added where a result is an input, an initializer or another result."""
    renamed: dict[str, str] = {}
    produced = {output for node in graph.nodes for output in node.output}
    for tensor, name in zip(outputs, names, strict=True):
        source = graph.value(tensor.array)
        if source in produced and source not in renamed:
            renamed[source] = name
        else:
            graph.nodes.append(helper.make_node("Identity", [source], [name], name=graph.fresh("Identity")))
        graph.batch_axis[name] = graph.batch_axis.get(source)
    for node in graph.nodes:
        node.input[:] = [renamed.get(n, n) for n in node.input]
        node.output[:] = [renamed.get(n, n) for n in node.output]
    return names


def _value_info(name: str, tensor: Tensor, graph: Graph) -> onnx.ValueInfoProto:
    shape: list[Any] = list(tensor.shape)
    axis = graph.batch_axis.get(name)
    if axis is not None:
        shape[axis] = BATCH
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(tensor.dtype), shape)


def _named_arrays(model: Module) -> dict[int, tuple[str, Any]]:
    """id(a parameter's or buffer's array) -> (state_dict name, array)."""
    return {id(tensor.array): (name, tensor.array)
            for name, tensor in [*model.named_parameters(), *model.named_buffers()]}
