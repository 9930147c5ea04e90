"""ONNX nodes for the image layers that have an ONNX operator of their own: GridSample
(grid_sample), GlobalMaxPool / MaxPool (adaptive max pooling with equal windows), and Sign (LP
pooling's last step). PixelShuffle, ChannelShuffle, LocalResponseNorm and Softmax2d export as
the reshapes, transposes and pools they are made of; unfold and fold have no conversion and
are refused by name."""

from __future__ import annotations

from npnn.onnx.graph import Graph, OnnxExportError
from npnn.onnx.layers import Converter, unary
from npnn.onnx.trace import Call


def grid_sample(g: Graph, call: Call, names: list[str]) -> str:
    """GridSample (opset 16; its mode 'bilinear' is called 'linear' from opset 20)."""
    options = call.kwargs
    mode = "linear" if options["mode"] == "bilinear" and g.opset >= 20 else options["mode"]
    return g.node("GridSample", names[:2], "grid_sample", g.batch_axis[names[0]], mode=mode,
                  padding_mode=options["padding_mode"], align_corners=int(options["align_corners"]))


def adaptive_max_pool2d(g: Graph, call: Call, names: list[str]) -> str:
    """GlobalMaxPool for a 1 x 1 output, MaxPool where the windows tile the input evenly."""
    x = call.inputs[0]
    (height, width), (out_h, out_w) = x.shape[-2:], call.output.shape[-2:]
    if x.ndim != 4:
        raise OnnxExportError(f"{call.layer}: adaptive max pooling exports for (N, C, H, W) input only, "
                              f"got {x.ndim}-D")
    if (out_h, out_w) == (1, 1):
        return g.node("GlobalMaxPool", names[:1], "global_max_pool", g.batch_axis[names[0]])
    if height % out_h or width % out_w:
        raise OnnxExportError(f"{call.layer}: adaptive max pooling of {height} x {width} to "
                              f"{out_h} x {out_w} has windows of unequal size, which no ONNX operator "
                              "pools; choose an output size that divides the input's")
    kernel = [height // out_h, width // out_w]
    return g.node("MaxPool", names[:1], "max_pool", g.batch_axis[names[0]], kernel_shape=kernel,
                  strides=kernel)


CONVERTERS: dict[str, Converter] = {
    "GridSample": grid_sample, "AdaptiveMaxPool2d": adaptive_max_pool2d, "Sign": unary("Sign"),
}
