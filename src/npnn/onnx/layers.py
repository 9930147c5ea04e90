"""ONNX nodes for the ops of npnn's layers: Linear, Conv2d, ConvTranspose2d (grouped too), pooling,
resizing, batch norm, activations.

Each converter takes the graph, the traced call and its inputs' names, adds the nodes that
compute the same values, and returns the name of the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from onnx import helper

from npnn.onnx.graph import Graph, OnnxExportError
from npnn.onnx.padding import zero_padded_source
from npnn.onnx.trace import Call

Converter = Callable[[Graph, Call, list[str]], str]


def linear(g: Graph, call: Call, names: list[str]) -> str:
    """x @ W.T + b: one Gemm for (N, in) input, else MatMul by W transposed (and Add)."""
    x, weight, *bias = names
    axis = g.batch_axis[x]
    if call.inputs[0].ndim == 2:
        return g.node("Gemm", [x, weight, *bias], "linear", axis, transB=1)
    transposed = g.node("Transpose", [weight], "weight_t", perm=[1, 0])
    out = g.node("MatMul", [x, transposed], "linear", axis)
    return g.node("Add", [out, bias[0]], "linear", axis) if bias else out


def _group(call: Call) -> dict[str, int]:
    """ONNX's `group` attribute of a grouped or depthwise convolution (none for groups=1, its default)."""
    groups = call.kwargs.get("groups", 1)
    return {"group": groups} if groups != 1 else {}


def conv2d(g: Graph, call: Call, names: list[str]) -> str:
    """Conv, from Conv2d, GroupedConv2d and DepthwiseConv2d (ONNX's weight (O, C/group, kH, kW) is
    npnn's); zero padding added just before it (padding='same', uneven) joins its pads."""
    (ph, pw), kernel = call.kwargs["padding"], call.inputs[1].shape[2:]
    source, (top, left, bottom, right) = zero_padded_source(g, names[0])
    return g.node("Conv", [source, *names[1:]], "conv", g.batch_axis[names[0]], kernel_shape=list(kernel),
                  strides=list(call.kwargs["stride"]), dilations=list(call.kwargs["dilation"]),
                  pads=[ph + top, pw + left, ph + bottom, pw + right], **_group(call))


def conv_transpose2d(g: Graph, call: Call, names: list[str]) -> str:
    """ConvTranspose: its weight is (C_in, C_out/group, kH, kW), as npnn's and PyTorch's."""
    (ph, pw), kernel = call.kwargs["padding"], call.inputs[1].shape[2:]
    return g.node("ConvTranspose", names, "conv_transpose", g.batch_axis[names[0]], kernel_shape=list(kernel),
                  strides=list(call.kwargs["stride"]), dilations=list(call.kwargs["dilation"]),
                  pads=[ph, pw, ph, pw], output_padding=list(call.kwargs["output_padding"]), **_group(call))


def interpolate(g: Graph, call: Call, names: list[str]) -> str:
    """Resize where ONNX Runtime takes the same source positions as PyTorch: 'nearest' by whole
    factors (asymmetric, floor), 'bilinear' by PyTorch's scale factors when ONNX's output size
    rule gives the same size, else to the output size (half_pixel, or align_corners). Other
    nearest resizes pick pixels by float rounding that ONNX does not spell out: there a Gather
    per axis of npnn's exact picks."""
    options, x, axis = call.kwargs, names[0], g.batch_axis[names[0]]
    in_size, out_size = call.inputs[0].shape[2:], call.output.shape[2:]
    if options["mode"] == "nearest":
        factors = [o // i for i, o in zip(in_size, out_size, strict=True)]
        picks = [np.asarray(options[key][0]) for key in ("rows", "cols")]
        if any(f * i != o or not np.array_equal(p, np.arange(o) // f)
               for i, o, f, p in zip(in_size, out_size, factors, picks, strict=True)):
            for dim, pick in ((2, picks[0]), (3, picks[1])):
                x = g.node("Gather", [x, g.ints([int(i) for i in pick])], "resize", axis, axis=dim)
            return x
        scales = g.constant(np.asarray([1, 1, *factors], np.float32), "resize_scales")
        return g.node("Resize", [x, "", scales], "resize", axis, mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    mode = "align_corners" if options["align_corners"] else "half_pixel"
    factors = np.asarray(options["scales"] if None not in options["scales"] else (0, 0), np.float32)
    if not options["align_corners"] and all(
            int(f * np.float32(i)) == o for f, i, o in zip(factors, in_size, out_size, strict=True)):
        scales = g.constant(np.asarray([1, 1, *factors], np.float32), "resize_scales")
        return g.node("Resize", [x, "", scales], "resize", axis, mode="linear",
                      coordinate_transformation_mode=mode)
    batch_and_channels = g.node("Slice", [g.node("Shape", [x], "resize_shape"), g.ints([0]), g.ints([2])],
                                "resize_shape")
    sizes = g.node("Concat", [batch_and_channels, g.ints(list(out_size))], "resize_sizes", axis=0)
    return g.node("Resize", [x, "", "", sizes], "resize", axis, mode="linear",
                  coordinate_transformation_mode=mode)


def max_pool2d(g: Graph, call: Call, names: list[str]) -> str:
    _check_image(call)
    (ph, pw), kernel = call.kwargs["padding"], call.kwargs["kernel"]
    return g.node("MaxPool", names, "max_pool", g.batch_axis[names[0]], kernel_shape=list(kernel),
                  strides=list(call.kwargs["stride"]), dilations=list(call.kwargs["dilation"]),
                  pads=[ph, pw, ph, pw])


def separable_pool(g: Graph, call: Call, names: list[str]) -> str:
    """Average pooling (npnn's rows @ x @ cols.T): GlobalAveragePool or AveragePool where the two
    averaging matrices are those of plain windows, else the same two products."""
    rows, cols = np.asarray(call.kwargs["rows"]), np.asarray(call.kwargs["cols"])
    x, axis = names[0], g.batch_axis[names[0]]
    if call.inputs[0].ndim == 4:
        windows = _plain_windows(rows), _plain_windows(cols)
        if windows[0] is not None and windows[1] is not None:
            (kh, sh), (kw, sw) = windows
            if (kh, kw) == call.inputs[0].shape[2:]:
                return g.node("GlobalAveragePool", [x], "avg_pool", axis)
            return g.node("AveragePool", [x], "avg_pool", axis, kernel_shape=[kh, kw], strides=[sh, sw])
    dtype = call.output.dtype
    by_cols = g.node("MatMul", [x, g.constant(cols.T.astype(dtype), "pool_cols")], "avg_pool", axis)
    return g.node("MatMul", [g.constant(rows.astype(dtype), "pool_rows"), by_cols], "avg_pool", axis)


def _plain_windows(matrix: np.ndarray) -> tuple[int, int] | None:
    """(kernel, stride) when row o of `matrix` is 1/kernel on [o·stride, o·stride + kernel) and
    zero elsewhere (no padding, every window whole), else None."""
    outputs, size = matrix.shape
    kernel = int(np.count_nonzero(matrix[0]))
    # one window: any stride that leaves room for no second one
    stride = int(np.argmax(matrix[1] != 0)) if outputs > 1 else size - kernel + 1
    if kernel == 0 or (outputs - 1) * stride + kernel > size:
        return None
    expected = np.zeros_like(matrix)
    for o in range(outputs):
        expected[o, o * stride:o * stride + kernel] = 1 / kernel
    return (kernel, stride) if np.allclose(matrix, expected, rtol=1e-6, atol=0) else None


def _check_image(call: Call) -> None:
    if call.inputs[0].ndim != 4:
        raise OnnxExportError(f"{call.layer}: ONNX pools (N, C, H, W) input only, got shape "
                              f"{tuple(call.inputs[0].shape)}; add the batch dimension")


def batch_norm(g: Graph, call: Call, names: list[str]) -> str:
    """BatchNormalization in inference mode, with the running statistics as its inputs."""
    options = call.kwargs
    if options.get("training", True):
        raise OnnxExportError(f"{call.layer}: batch norm runs with batch statistics (training=True); "
                              "ONNX exports inference, which uses the running statistics")
    if options.get("running_mean") is None or options.get("running_var") is None:
        raise OnnxExportError(f"{call.layer}: batch norm without running statistics "
                              "(track_running_stats=False) normalizes by the batch; ONNX has no such op")
    x, *affine = names
    channels = call.inputs[0].shape[1]
    dtype = call.output.dtype
    weight = affine[0] if options.get("has_weight", True) else g.constant(np.ones(channels, dtype), "bn_one")
    bias = affine[-1] if options.get("has_bias", True) else g.constant(np.zeros(channels, dtype), "bn_zero")
    mean = g.value(options["running_mean"], call.output)
    var = g.value(options["running_var"], call.output)
    mean, var = (_as_dtype(g, name, array, dtype) for name, array in
                 ((mean, options["running_mean"]), (var, options["running_var"])))
    return g.node("BatchNormalization", [x, weight, bias, mean, var], "batch_norm", g.batch_axis[x],
                  epsilon=float(options.get("eps", 1e-5)))


def _as_dtype(g: Graph, name: str, array: np.ndarray, dtype: np.dtype) -> str:
    """Running statistics kept in another dtype than the activations are cast, as npnn does."""
    if np.dtype(array.dtype) == np.dtype(dtype):
        return name
    return g.node("Cast", [name], "bn_stat", to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def unary(op_type: str) -> Converter:
    def convert(g: Graph, call: Call, names: list[str]) -> str:
        return g.node(op_type, names[:1], op_type.lower(), g.batch_axis[names[0]])
    return convert


def binary_layer(op_type: str) -> Converter:
    def convert(g: Graph, call: Call, names: list[str]) -> str:
        return g.node(op_type, names[:2], op_type.lower(), g.batch_axis[names[0]])
    return convert


def leaky_relu(g: Graph, call: Call, names: list[str]) -> str:
    slope = float(call.kwargs.get("negative_slope", 0.01))
    return g.node("LeakyRelu", names, "leaky_relu", g.batch_axis[names[0]], alpha=slope)


def elu(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("Elu", names, "elu", g.batch_axis[names[0]], alpha=float(call.kwargs.get("alpha", 1.0)))


def gelu(g: Graph, call: Call, names: list[str]) -> str:
    """0.5·x·(1 + erf(x/√2)), or its tanh approximation: opset 17 has no Gelu op."""
    x, axis = names[0], g.batch_axis[names[0]]
    dtype = call.output.dtype

    def const(value: float) -> str:
        return g.constant(np.asarray(value, dtype), "gelu_c")

    if call.kwargs.get("approximate", "none") == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x], "gelu", axis), x], "gelu", axis)
        inner = g.node("Add", [x, g.node("Mul", [cube, const(0.044715)], "gelu", axis)], "gelu", axis)
        curve = g.node("Tanh", [g.node("Mul", [inner, const(math.sqrt(2 / math.pi))], "gelu", axis)],
                       "gelu", axis)
    else:
        curve = g.node("Erf", [g.node("Div", [x, const(math.sqrt(2))], "gelu", axis)], "gelu", axis)
    half_x = g.node("Mul", [x, const(0.5)], "gelu", axis)
    return g.node("Mul", [half_x, g.node("Add", [curve, const(1.0)], "gelu", axis)], "gelu", axis)


def softplus(g: Graph, call: Call, names: list[str]) -> str:
    """log(1 + exp(β·x))/β; PyTorch's switch to x above the threshold agrees within float32's rounding."""
    beta, axis = float(call.kwargs.get("beta", 1.0)), g.batch_axis[names[0]]
    if beta == 1.0:
        return g.node("Softplus", names, "softplus", axis)
    scale = g.constant(np.asarray(beta, call.output.dtype), "beta")
    scaled = g.node("Softplus", [g.node("Mul", [names[0], scale], "softplus", axis)], "softplus", axis)
    return g.node("Div", [scaled, scale], "softplus", axis)


def hardtanh(g: Graph, call: Call, names: list[str]) -> str:
    bounds = [g.constant(np.asarray(call.kwargs.get(key, default), call.output.dtype), "clip")
              for key, default in (("min_val", -1.0), ("max_val", 1.0))]
    return g.node("Clip", [names[0], *bounds], "hardtanh", g.batch_axis[names[0]])


def hardsigmoid(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("HardSigmoid", names, "hardsigmoid", g.batch_axis[names[0]], alpha=1 / 6, beta=0.5)


def celu(g: Graph, call: Call, names: list[str]) -> str:
    return g.node("Celu", names, "celu", g.batch_axis[names[0]], alpha=float(call.kwargs.get("alpha", 1.0)))


def logsigmoid(g: Graph, call: Call, names: list[str]) -> str:
    """-softplus(-x): opset 17 has no LogSigmoid op."""
    axis = g.batch_axis[names[0]]
    softplus = g.node("Softplus", [g.node("Neg", names, "logsigmoid", axis)], "logsigmoid", axis)
    return g.node("Neg", [softplus], "logsigmoid", axis)


def mish(g: Graph, call: Call, names: list[str]) -> str:
    """x · tanh(softplus(x)): ONNX's Mish op needs opset 18."""
    axis = g.batch_axis[names[0]]
    curve = g.node("Tanh", [g.node("Softplus", names, "mish", axis)], "mish", axis)
    return g.node("Mul", [names[0], curve], "mish", axis)


def threshold(g: Graph, call: Call, names: list[str]) -> str:
    """Where(x > threshold, x, value): ONNX's ThresholdedRelu always gives 0 below."""
    x, axis, dtype = names[0], g.batch_axis[names[0]], call.output.dtype
    above = g.node("Greater", [x, g.constant(np.asarray(call.kwargs["threshold"], dtype), "threshold")],
                   "threshold", axis)
    value = g.constant(np.asarray(call.kwargs["value"], dtype), "threshold_value")
    return g.node("Where", [above, x, value], "threshold", axis)


def softmax(op_type: str) -> Converter:
    def convert(g: Graph, call: Call, names: list[str]) -> str:
        dim = call.kwargs.get("dim", -1)
        return g.node(op_type, names, op_type.lower(), g.batch_axis[names[0]], axis=int(dim))
    return convert


def dropout(g: Graph, call: Call, names: list[str]) -> str:
    raise OnnxExportError(f"{call.layer}: dropout is active (a module in training mode, or "
                          "F.dropout(training=True)); ONNX exports inference: call model.eval()")


CONVERTERS: dict[str, Converter] = {
    "Linear": linear, "Conv2d": conv2d, "GroupedConv2d": conv2d, "DepthwiseConv2d": conv2d,
    "ConvTranspose2d": conv_transpose2d, "GroupedConvTranspose2d": conv_transpose2d,
    "Interpolate": interpolate, "MaxPool2d": max_pool2d, "SeparablePool": separable_pool,
    "BatchNorm": batch_norm, "ReLU": unary("Relu"), "SelectingReLU": unary("Relu"),
    "Sigmoid": unary("Sigmoid"), "Tanh": unary("Tanh"),
    "LeakyReLU": leaky_relu, "ELU": elu, "GELU": gelu, "Softplus": softplus,
    "Softmax": softmax("Softmax"), "LogSoftmax": softmax("LogSoftmax"), "Dropout": dropout,
    "Hardtanh": hardtanh, "Hardsigmoid": hardsigmoid, "Hardswish": unary("HardSwish"), "CELU": celu,
    "LogSigmoid": logsigmoid, "Mish": mish, "Threshold": threshold, "PReLU": binary_layer("PRelu"),
}
