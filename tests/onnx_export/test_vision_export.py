"""The image layers in ONNX Runtime: a spatial transformer (affine_grid + GridSample) in every
mode at opsets 17 and 20, adaptive max pooling (GlobalMaxPool, MaxPool), LP pooling, the
shuffles, LRN and Softmax2d, at another batch size than the traced one; what has no ONNX
operator is refused by name."""

import warnings

import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F

pytest.importorskip("onnx", reason="the ONNX tests need the onnx package (pip install 'npnn[onnx]')")
pytest.importorskip("onnxruntime", reason="the ONNX tests run the files in onnxruntime")
from test_export import assert_same


class SpatialTransformer(nn.Module):
    """The STN tutorial's transform: theta from a Linear, then affine_grid and grid_sample."""

    def __init__(self, mode: str, padding_mode: str, align_corners: bool) -> None:
        super().__init__()
        self.localization = nn.Linear(48, 6)
        self.options = (mode, padding_mode, align_corners)

    def forward(self, x):
        theta = self.localization(x.flatten(1)).reshape(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=self.options[2])
        return F.grid_sample(x, grid, *self.options)


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_a_spatial_transformer_runs_in_onnx_runtime_as_in_npnn(opset, mode, padding_mode, align_corners):
    npnn.manual_seed(0)
    proto = assert_same(SpatialTransformer(mode, padding_mode, align_corners), (3, 4, 4), opset_version=opset)
    assert "GridSample" in {node.op_type for node in proto.graph.node}


LAYERS = {
    "pixel shuffle": (lambda: nn.PixelShuffle(2), (8, 3, 2)),
    "pixel unshuffle": (lambda: nn.PixelUnshuffle(2), (2, 4, 6)),
    "channel shuffle": (lambda: nn.ChannelShuffle(3), (6, 2, 2)),
    "local response norm": (lambda: nn.LocalResponseNorm(3, 0.1), (5, 3, 3)),
    "softmax2d": (lambda: nn.Softmax2d(), (4, 3, 3)),
    "adaptive max pool to 1": (lambda: nn.AdaptiveMaxPool2d(1), (3, 4, 5)),
    "adaptive max pool, even windows": (lambda: nn.AdaptiveMaxPool2d((2, 3)), (3, 4, 6)),
    "lp pool": (lambda: nn.Sequential(nn.ReLU(), nn.LPPool2d(2, 2)), (3, 4, 4)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_each_image_layer_runs_in_onnx_runtime_as_in_npnn(name):
    build, shape = LAYERS[name]
    npnn.manual_seed(0)
    assert_same(build(), shape)


@pytest.mark.parametrize(("layer", "refused"), [
    (nn.AdaptiveMaxPool2d((3, 4)), r"windows of unequal size"),
    (nn.Unfold(2), r"its op Unfold has no ONNX conversion"),
])
def test_layers_without_an_onnx_operator_are_refused_by_name(layer, refused, tmp_path):
    with warnings.catch_warnings(), pytest.raises(npnn.onnx.OnnxExportError, match=refused):
        npnn.onnx.export(layer, npnn.zeros(2, 3, 4, 6), tmp_path / "model.onnx")
