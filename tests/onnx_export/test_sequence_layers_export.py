"""The sequence layers and ONNX: a recurrent layer's fused op is refused with its name; a
transformer encoder layer exports as its primitives and runs in ONNX Runtime to npnn's values."""

import io

import numpy as np
import pytest

import npnn
from npnn import nn

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the onnx package (pip install 'npnn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run the files in onnxruntime")


class LastStep(nn.Module):
    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0][:, -1]


@pytest.mark.parametrize("layer,op", [(nn.LSTM(4, 3, batch_first=True), "LSTMLayer"),
                                      (nn.GRU(4, 3, batch_first=True), "GRULayer"),
                                      (nn.RNN(4, 3, batch_first=True), "RNNLayer")])
def test_recurrent_layer_export_names_the_op(layer, op) -> None:
    with pytest.raises(npnn.onnx.OnnxExportError, match=f"its op {op} has no ONNX conversion"):
        npnn.onnx.export(LastStep(layer), npnn.randn(2, 5, 4), io.BytesIO())


def test_transformer_encoder_layer_exports_and_runs_in_onnx_runtime() -> None:
    model = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True).eval()
    buffer = io.BytesIO()
    npnn.onnx.export(model, npnn.randn(2, 5, 8), buffer)
    x = np.random.default_rng(0).standard_normal((3, 5, 8)).astype(np.float32)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(output, model(npnn.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)
