"""F.pad's modes, the padding layers and the convolutions' padding options exported to ONNX and
run in ONNX Runtime to npnn's values: Pad 'reflect'/'edge' (and 'wrap' from opset 19), Gather
where Pad has no such mode, and padding='same' with an even kernel as one Conv with uneven pads."""

import io

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the onnx package (pip install 'npnn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run the files in onnxruntime")


class Padded(nn.Module):
    def __init__(self, pad, mode):
        super().__init__()
        self.pad, self.mode = pad, mode

    def forward(self, x):
        return F.pad(x, self.pad, mode=self.mode) * 2


def exported_nodes(model, shape, opset=17):
    """Export `model` traced at batch 2, run at batch 5 in ORT; check the values, return the node types
    and every Conv's pads."""
    rng = np.random.default_rng(0)
    example = rng.standard_normal((2, *shape)).astype(np.float32)
    x = rng.standard_normal((5, *shape)).astype(np.float32)
    model.eval()
    buffer = io.BytesIO()
    proto = npnn.onnx.export(model, npnn.tensor(example), buffer, opset_version=opset)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    with npnn.no_grad():
        expected = model(npnn.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    pads = [list(a.ints) for node in proto.graph.node if node.op_type == "Conv"
            for a in node.attribute if a.name == "pads"]
    return [node.op_type for node in proto.graph.node], pads


@pytest.mark.parametrize("opset", [17, 19])
@pytest.mark.parametrize(("mode", "pad", "nodes"), [
    ("reflect", (2, 1, 1, 3), {17: "Pad", 19: "Pad"}),
    ("replicate", (0, 4, 2, 0), {17: "Pad", 19: "Pad"}),
    ("circular", (3, 1, 0, 2), {17: "Gather", 19: "Pad"}),
    ("reflect", (-1, 2, 2, -2), {17: "Gather", 19: "Gather"}),  # crops: Pad's meaning is not spelled out
    ("circular", (2, -1, 0, 0), {17: "Gather", 19: "Gather"}),
    ("constant", (-1, 2, 1, -2), {17: "Pad", 19: "Pad"}),
])
def test_pad_modes_run_in_onnx_runtime(mode, pad, nodes, opset):
    types, _ = exported_nodes(Padded(pad, mode), (3, 4, 5), opset)
    assert types[0] == nodes[opset] and types[-1] == "Mul"


def test_same_padding_with_an_even_kernel_is_one_conv_with_uneven_pads():
    npnn.manual_seed(0)
    types, pads = exported_nodes(nn.Conv2d(3, 4, (4, 2), padding="same", dilation=(1, 3)), (3, 7, 8))
    assert types == ["Conv"]
    assert pads == [[1, 1, 2, 2]]  # [top, left, bottom, right]: the odd one after, as PyTorch


def test_padding_layers_and_padding_modes_export():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, 4, 3), nn.ReLU(),
                          nn.Conv2d(4, 4, 3, padding="same", padding_mode="reflect"),
                          nn.Conv2d(4, 2, 2, padding="same", padding_mode="replicate"),
                          nn.CircularPad2d((1, 0, 0, 1)), nn.Conv2d(2, 2, 3, padding="valid"),
                          nn.ZeroPad2d((0, 1, 1, 0)), nn.Conv2d(2, 2, 2))
    types, pads = exported_nodes(model, (3, 8, 9))
    assert types.count("Conv") == 5 and types.count("Pad") == 3  # the zero pad joined its Conv
    assert pads[-1] == [1, 0, 0, 1]
