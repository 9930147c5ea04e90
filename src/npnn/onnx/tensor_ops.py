"""ONNX nodes for npnn's tensor ops: arithmetic, matmul, reductions and shape changes.

A shape an op was traced with holds the traced batch size; where the batch may vary, the
converters write the batch axis as ONNX's "copy this dimension" (0 in Reshape, 1 in Expand)
and refuse an op that mixes the batch into another axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import helper

from npnn.onnx.graph import Graph, OnnxExportError
from npnn.onnx.layers import Converter, unary
from npnn.onnx.trace import Call
from npnn.ops.shape import is_advanced


def _batch_of(g: Graph, names: Sequence[str], call: Call) -> int | None:
    """The output's batch axis for an op whose output is broadcast from its inputs."""
    rank = call.output.ndim
    for name, item in zip(names, call.inputs, strict=False):
        axis = g.batch_axis.get(name)
        if axis is not None:
            return axis + rank - getattr(item, "ndim", 0)
    return None


def binary(op_type: str) -> Converter:
    def convert(g: Graph, call: Call, names: list[str]) -> str:
        return g.node(op_type, names, op_type.lower(), _batch_of(g, names, call))
    return convert


def log1p(g: Graph, call: Call, names: list[str]) -> str:
    one = g.constant(np.asarray(1, call.output.dtype), "one")
    axis = g.batch_axis[names[0]]
    return g.node("Log", [g.node("Add", [names[0], one], "log1p", axis)], "log1p", axis)


def cast(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("Cast", names, "cast", g.batch_axis[names[0]],
                  to=helper.np_dtype_to_tensor_dtype(call.output.dtype))


def clamp(g: Graph, call: Call, names: list[str]) -> str:
    bounds = [call.kwargs.get("min"), call.kwargs.get("max")]
    if any(b is not None and np.ndim(b) > 0 for b in bounds):
        raise OnnxExportError(f"{call.layer}: clamp by a tensor bound has no ONNX Clip; use maximum/minimum")
    inputs = [names[0]] + [g.constant(np.asarray(b, call.output.dtype), "clip") if b is not None else ""
                           for b in bounds]
    return g.node("Clip", inputs, "clip", g.batch_axis[names[0]])


def _dims(dim: int | Sequence[int] | None, ndim: int) -> list[int]:
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    return sorted(d % ndim for d in dims) if ndim else []


def _reduced_axis(axis: int | None, dims: list[int], keepdim: bool) -> int | None:
    if axis is None or axis in dims:
        return None
    return axis if keepdim else axis - sum(d < axis for d in dims)


def reduce(op_type: str) -> Converter:
    """Reductions over dims: the axes an input (ReduceSum since opset 13, the others since 18)."""
    def convert(g: Graph, call: Call, names: list[str]) -> str:
        axes_as_input = op_type == "ReduceSum" or g.opset >= 18
        ndim = call.inputs[0].ndim
        dims = _dims(call.kwargs.get("dim"), ndim)
        keepdim = bool(call.kwargs.get("keepdim", False))
        axis = _reduced_axis(g.batch_axis[names[0]], dims, keepdim)
        if axes_as_input:
            return g.node(op_type, [names[0], g.ints(dims, "axes")], "reduce", axis, keepdims=int(keepdim))
        return g.node(op_type, names[:1], "reduce", axis, axes=dims, keepdims=int(keepdim))
    return convert


def var(g: Graph, call: Call, names: list[str]) -> str:
    """Σ(x - mean)² / (count - correction): ReduceSum of the centred squares, then a division."""
    x, shape = names[0], call.inputs[0].shape
    dims = _dims(call.kwargs.get("dim"), len(shape))
    keepdim = bool(call.kwargs.get("keepdim", False))
    axis = g.batch_axis[x]
    mean = reduce("ReduceMean")(g, Call(call.function, call.inputs, {"dim": dims, "keepdim": True},
                                        call.output, call.layer), names)
    centred = g.node("Sub", [x, mean], "var", axis)
    squares = g.node("Mul", [centred, centred], "var", axis)
    total = g.node("ReduceSum", [squares, g.ints(dims, "axes")], "var", _reduced_axis(axis, dims, keepdim),
                   keepdims=int(keepdim))
    correction = call.kwargs.get("correction", 1)
    dtype = call.output.dtype
    if axis in dims:  # the count includes the batch: read it from the input's shape at run time
        sizes = g.node("Gather", [g.node("Shape", [x], "var_shape"), g.ints(dims, "axes")], "var_sizes")
        count = g.node("Cast", [g.node("ReduceProd", [sizes], "var_count", keepdims=0)], "var_count",
                       to=helper.np_dtype_to_tensor_dtype(dtype))
        less = g.node("Sub", [count, g.constant(np.asarray(correction, dtype), "correction")], "var_divisor")
        divisor = g.node("Max", [less, g.constant(np.asarray(0, dtype), "zero")], "var_divisor")
        return g.node("Div", [total, divisor], "var", g.batch_axis[total])
    count = int(np.prod([shape[d] for d in dims]))
    divisor = count - correction
    value = np.asarray(divisor if divisor > 0 else 0, dtype)
    return g.node("Div", [total, g.constant(value, "count")], "var", g.batch_axis[total])


def std(g: Graph, call: Call, names: list[str]) -> str:
    """sqrt(var): npnn's Std is one node (for its gradient), ONNX's two."""
    variance = var(g, call, names)
    return g.node("Sqrt", [variance], "std", g.batch_axis[variance])


def reshape(g: Graph, call: Call, names: list[str]) -> str:
    """Reshape to the traced shape, with the batch axis copied from the input (0) where it stays first."""
    source, target = call.inputs[0].shape, list(call.output.shape)
    axis = g.batch_axis[names[0]]
    if axis is not None:
        if axis != 0 or not target or target[0] != source[0]:
            raise OnnxExportError(f"{call.layer}: reshapes {tuple(source)} to {tuple(target)}, which moves "
                                  "the batch dimension; keep it first (x.flatten(1), x.view(x.shape[0], -1)) "
                                  "or export with dynamic_batch=False")
        target[0] = 0
    return g.node("Reshape", [names[0], g.ints(target)], "reshape", axis)


def permute(g: Graph, call: Call, names: list[str]) -> str:
    dims = [d % call.inputs[0].ndim for d in call.kwargs["dims"]]
    axis = g.batch_axis[names[0]]
    return g.node("Transpose", names, "transpose", None if axis is None else dims.index(axis), perm=dims)


def expand(g: Graph, call: Call, names: list[str]) -> str:
    target = list(call.output.shape)
    axis = _batch_of(g, names, call)
    if axis is not None:
        target[axis] = 1  # Expand broadcasts: 1 keeps the input's batch
    return g.node("Expand", [names[0], g.ints(target)], "expand", axis)


def getitem(g: Graph, call: Call, names: list[str]) -> str:
    """Basic indexing (ints, slices, None, ...): Slice, then Squeeze the ints' axes, then
    Unsqueeze the Nones'; the batch axis may only be taken whole (x[:, ...])."""
    index = call.kwargs.get("index")
    parts = list(index) if isinstance(index, tuple) else [index]
    basic = all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)
    if is_advanced(index) or not basic:
        raise OnnxExportError(f"{call.layer}: indexing by a tensor or list has no ONNX conversion in npnn; "
                              "index with ints and slices")
    shape, batch = call.inputs[0].shape, g.batch_axis[names[0]]
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        taken = sum(p is not None for p in parts) - 1
        parts[at:at + 1] = [slice(None)] * (len(shape) - taken)
    parts += [slice(None)] * (len(shape) - sum(p is not None for p in parts))
    axis = out = 0
    sliced, squeezed, unsqueezed, out_batch = [], [], [], None
    for part in parts:
        if part is None:
            unsqueezed.append(out)
            out += 1
            continue
        whole = isinstance(part, slice) and part == slice(None)
        if axis == batch and not whole:
            raise OnnxExportError(f"{call.layer}: indexes the batch dimension ({part!r}); take it whole "
                                  "(x[:, ...]) or export with dynamic_batch=False")
        if isinstance(part, int):
            position = part % shape[axis]
            sliced.append((axis, position, position + 1, 1))
            squeezed.append(axis)
        else:
            if axis == batch:
                out_batch = out
            if not whole:
                start, stop, step = part.indices(shape[axis])
                sliced.append((axis, start, stop if stop >= 0 else -(2**62), step))
            out += 1
        axis += 1
    result = names[0]
    if sliced:
        axes, starts, ends, steps = (list(column) for column in zip(*sliced, strict=True))
        bounds = [g.ints(values, hint) for values, hint in
                  ((starts, "starts"), (ends, "ends"), (axes, "axes"), (steps, "steps"))]
        result = g.node("Slice", [result, *bounds], "slice", batch)
    if squeezed:
        result = g.node("Squeeze", [result, g.ints(squeezed, "axes")], "squeeze")
    if unsqueezed:
        result = g.node("Unsqueeze", [result, g.ints(unsqueezed, "axes")], "unsqueeze")
    g.batch_axis[result] = out_batch
    return result


def stack(g: Graph, call: Call, names: list[str]) -> str:
    dim = int(call.kwargs.get("dim", 0))
    axes = g.ints([dim], "axes")
    batch = g.batch_axis[names[0]]
    parts = [g.node("Unsqueeze", [name, axes], "stack") for name in names]
    return g.node("Concat", parts, "stack", None if batch is None else batch + (batch >= dim), axis=dim)


def pad(g: Graph, call: Call, names: list[str]) -> str:
    widths = call.kwargs["widths"]
    pads = [before for before, _ in widths] + [after for _, after in widths]
    value = g.constant(np.asarray(call.kwargs.get("value", 0.0), call.output.dtype), "pad_value")
    return g.node("Pad", [names[0], g.ints(pads, "pads"), value], "pad", g.batch_axis[names[0]])


def assign(g: Graph, call: Call, names: list[str]) -> str:
    """copy_/fill_/zero_ of a whole tensor: the new value broadcast to the old one's shape."""
    if call.kwargs.get("index", Ellipsis) is not Ellipsis:
        raise OnnxExportError(f"{call.layer}: assigns into part of a tensor (x[i] = v); ONNX has no such "
                              "update in npnn's export: build the tensor with cat or where instead")
    old, source = names
    shape = g.node("Shape", [old], "shape")
    return g.node("Expand", [source, shape], "assign", g.batch_axis[old])


def cat(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("Concat", names, "concat", _batch_of(g, names, call), axis=int(call.kwargs.get("dim", 0)))


def where(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("Where", names, "where", _batch_of(g, names, call))


CONVERTERS: dict[str, Converter] = {
    "Add": binary("Add"), "Sub": binary("Sub"), "Mul": binary("Mul"), "Div": binary("Div"),
    "Pow": binary("Pow"), "MatMul": binary("MatMul"), "Maximum": binary("Max"), "Minimum": binary("Min"),
    "Neg": unary("Neg"), "Exp": unary("Exp"), "Log": unary("Log"), "Sqrt": unary("Sqrt"), "Abs": unary("Abs"),
    "Clone": unary("Identity"), "Log1p": log1p, "Cast": cast, "Clamp": clamp,
    "Sum": reduce("ReduceSum"), "Mean": reduce("ReduceMean"), "AMax": reduce("ReduceMax"),
    "AMin": reduce("ReduceMin"), "Var": var, "Std": std,
    "Reshape": reshape, "Permute": permute, "Expand": expand, "Cat": cat, "Where": where,
    "GetItem": getitem, "Stack": stack, "Pad": pad, "Assign": assign,
}
