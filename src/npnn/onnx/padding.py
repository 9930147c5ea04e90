"""ONNX nodes for F.pad's border modes, and zero padding folded into a Conv's pads.

'reflect' and 'replicate' are ONNX Pad's 'reflect' and 'edge'; 'circular' is Pad's 'wrap' from
opset 19. Where Pad has no such mode (circular before opset 19) or its meaning is not spelled out
(a negative width, which crops, next to a border mode), each padded axis is one Gather of npnn's
own index map: the same values at any opset. A constant zero Pad of the last two dims that
feeds a Conv becomes the Conv's (possibly uneven) pads: padding='same' with an even kernel is one
Conv node, as PyTorch's exporter writes it.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from npnn.onnx.graph import Graph
from npnn.onnx.trace import Call

PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
WRAP_OPSET = 19  # the first opset whose Pad has mode 'wrap'


def border_pad(g: Graph, call: Call, names: list[str]) -> str:
    """Pad in the mode's ONNX name, else one Gather per padded axis."""
    widths, mode, x = call.kwargs["widths"], call.kwargs["mode"], names[0]
    batch = g.batch_axis[x]
    if min(w for pair in widths for w in pair) >= 0 and (mode != "circular" or g.opset >= WRAP_OPSET):
        pads = [before for before, _ in widths] + [after for _, after in widths]
        return g.node("Pad", [x, g.ints(pads, "pads")], "pad", batch, mode=PAD_MODES[mode])
    for axis, positions in enumerate(call.kwargs["maps"]):
        if positions is not None:
            x = g.node("Gather", [x, g.ints(positions, "pad_positions")], "pad", batch, axis=axis)
    return x


def zero_padded_source(g: Graph, name: str) -> tuple[str, list[int]]:
    """`name`'s source and the [top, left, bottom, right] zeros added to it, where `name` is a
    constant zero Pad of an (N, C, H, W) value's H and W only (else `name` and no padding)."""
    node = next((node for node in reversed(g.nodes) if name in node.output), None)
    if node is None or node.op_type != "Pad" or any(a.name == "mode" for a in node.attribute):
        return name, [0, 0, 0, 0]
    constants = [g.initializers.get(item) for item in node.input[1:]]
    if None in constants or len(constants) != 2:
        return name, [0, 0, 0, 0]
    pads, value = (numpy_helper.to_array(c) for c in constants)
    if pads.shape != (8,) or pads.min() < 0 or pads[[0, 1, 4, 5]].any() or np.any(value != 0):
        return name, [0, 0, 0, 0]
    return node.input[0], [int(p) for p in pads[[2, 3, 6, 7]]]


CONVERTERS = {"BorderPad": border_pad}
