"""The sequence layers and ONNX: a recurrent layer's fused op is refused with its name; a
transformer encoder layer, decoder layer and nn.Transformer export as their primitives and run in
ONNX Runtime to npnn's values."""

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


@pytest.mark.parametrize("model,shapes", [
    (nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True), [(4, 8), (5, 8)]),
    (nn.Transformer(8, 2, 1, 1, 16, batch_first=True, norm_first=True), [(5, 8), (4, 8)]),
], ids=["decoder layer", "transformer"])
def test_transformer_decoder_exports_and_runs_in_onnx_runtime(model, shapes) -> None:
    """Two inputs (tgt and memory, or src and tgt), exported at batch 2 and run at batch 3."""
    model.eval()
    buffer = io.BytesIO()
    npnn.onnx.export(model, tuple(npnn.randn(2, *shape) for shape in shapes), buffer)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((3, *shape)).astype(np.float32) for shape in shapes]
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {i.name: x for i, x in zip(session.get_inputs(), inputs, strict=True)})
    expected = model(*(npnn.tensor(x) for x in inputs)).numpy()
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)
