"""npnn.onnx.export: every layer the workflow builds, and the tensor ops a forward uses, run in
ONNX Runtime to the same values as in npnn, at another batch size than the traced one."""

import io
import subprocess
import sys

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.models import CNN, MLP

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the onnx package (pip install 'npnn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run the files in onnxruntime")


def run_in_ort(model, example, inputs, **options):
    """Export `model` traced on `example`, run `inputs` in ONNX Runtime: (ORT's outputs, the proto)."""
    buffer = io.BytesIO()
    proto = npnn.onnx.export(model, example, buffer, **options)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    feeds = {item.name: value for item, value in zip(session.get_inputs(), inputs, strict=True)}
    return session.run(None, feeds), proto


def assert_same(model, shape, batch=5, atol=1e-5, **options):
    """npnn's and ORT's outputs agree at batch `batch` after tracing at batch 2."""
    rng = np.random.default_rng(0)
    example = rng.standard_normal((2, *shape)).astype(np.float32)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    model.eval()
    (got, *_), proto = run_in_ort(model, npnn.tensor(example), [x], **options)
    with npnn.no_grad():
        expected = model(npnn.tensor(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)
    return proto


class Lambda(nn.Module):
    """A forward written with tensor ops, as a user's own module would."""

    def __init__(self, function):
        super().__init__()
        self.function = function
        self.linear = nn.Linear(6, 6)

    def forward(self, x):
        return self.function(self.linear(x))


def with_running_stats(module):
    """A batch norm whose running statistics and affine parameters are not the defaults."""
    rng = np.random.default_rng(1)
    n = module.num_features
    module.running_mean.array[...] = rng.standard_normal(n)
    module.running_var.array[...] = rng.uniform(0.5, 2, n)
    if module.weight is not None:
        module.weight.array[...] = rng.uniform(0.5, 1.5, n)
        module.bias.array[...] = rng.standard_normal(n)
    return module


LAYERS = {
    "linear": (lambda: nn.Sequential(nn.Linear(6, 4), nn.Linear(4, 3, bias=False)), (6,)),
    "linear on 3-d input": (lambda: nn.Linear(6, 4), (3, 6)),
    "conv": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=1), (3, 9, 9)),
    "conv dilated, no bias": (lambda: nn.Conv2d(3, 4, 3, padding=2, dilation=2, bias=False), (3, 8, 8)),
    "conv 5x5 padded": (lambda: nn.Conv2d(1, 2, 5, padding=2), (1, 10, 10)),
    "conv transpose": (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (3, 5, 5)),
    "conv transpose dilated, no bias": (lambda: nn.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2), dilation=2,
                                                                   bias=False), (2, 4, 5)),
    "conv groups": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (4, 9, 9)),
    "conv depthwise + pointwise": (lambda: nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False),
                                                         nn.Conv2d(4, 6, 1)), (4, 7, 7)),
    "conv depthwise x2, dilated": (lambda: nn.Conv2d(3, 6, 3, padding=2, dilation=2, groups=3), (3, 8, 8)),
    "conv transpose groups": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                                         groups=2), (4, 5, 5)),
    "conv1d depthwise": (lambda: nn.Conv1d(3, 3, 3, padding=1, groups=3), (3, 12)),
    "upsample nearest x2": (lambda: nn.Upsample(scale_factor=2), (2, 4, 5)),
    "upsample nearest to a multiple": (lambda: nn.UpsamplingNearest2d(size=(12, 5)), (2, 4, 5)),
    "upsample nearest x1.5 (gathers)": (lambda: nn.Upsample(scale_factor=1.5), (2, 4, 5)),
    "upsample bilinear x2": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 4, 5)),
    "upsample bilinear x1.7": (lambda: nn.Upsample(scale_factor=1.7, mode="bilinear"), (2, 4, 5)),
    "upsample bilinear to a size": (lambda: nn.Upsample(size=(7, 3), mode="bilinear"), (2, 4, 5)),
    "upsample bilinear align corners": (lambda: nn.UpsamplingBilinear2d(scale_factor=2.5), (2, 4, 5)),
    "upsample 1-d nearest and linear": (lambda: nn.Sequential(
        nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=1.5, mode="linear")), (3, 7)),
    "group norm": (lambda: nn.GroupNorm(2, 4), (4, 3, 3)),
    "instance norm": (lambda: nn.InstanceNorm2d(3, affine=True), (3, 4, 4)),
    "conv1d and 1-d pools": (lambda: nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.MaxPool1d(2),
                                                   nn.AvgPool1d(2)), (3, 12)),
    "max pool": (lambda: nn.MaxPool2d(2), (2, 7, 7)),
    "max pool padded strided": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 8, 8)),
    "avg pool": (lambda: nn.AvgPool2d(2), (2, 8, 8)),
    "avg pool padded": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 7, 7)),
    "adaptive avg pool 1": (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 5)),
    "adaptive avg pool 3 of 7": (lambda: nn.AdaptiveAvgPool2d(3), (3, 7, 7)),
    "batch norm 2d": (lambda: with_running_stats(nn.BatchNorm2d(3)), (3, 4, 4)),
    "batch norm 2d, no affine": (lambda: with_running_stats(nn.BatchNorm2d(3, affine=False)), (3, 4, 4)),
    "batch norm 1d": (lambda: with_running_stats(nn.BatchNorm1d(5)), (5,)),
    "relu": (lambda: nn.ReLU(), (7,)),
    "relu in place": (lambda: nn.Sequential(nn.Linear(7, 7), nn.ReLU(inplace=True), nn.Linear(7, 2)), (7,)),
    "leaky relu": (lambda: nn.LeakyReLU(0.2), (7,)),
    "elu": (lambda: nn.ELU(0.5), (7,)),
    "gelu": (lambda: nn.GELU(), (7,)),
    "gelu tanh": (lambda: nn.GELU(approximate="tanh"), (7,)),
    "sigmoid": (lambda: nn.Sigmoid(), (7,)),
    "tanh": (lambda: nn.Tanh(), (7,)),
    "softplus": (lambda: nn.Softplus(), (7,)),
    "softplus beta 2": (lambda: nn.Softplus(beta=2.0), (7,)),
    "relu6": (lambda: nn.ReLU6(), (7,)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.25), (7,)),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), (7,)),
    "hardswish": (lambda: nn.Hardswish(), (7,)),
    "selu": (lambda: nn.SELU(), (7,)),
    "celu": (lambda: nn.CELU(0.5), (7,)),
    "logsigmoid": (lambda: nn.LogSigmoid(), (7,)),
    "mish": (lambda: nn.Mish(), (7,)),
    "softsign": (lambda: nn.Softsign(), (7,)),
    "tanhshrink": (lambda: nn.Tanhshrink(), (7,)),
    "threshold": (lambda: nn.Threshold(0.1, -2.0), (7,)),
    "softmin": (lambda: nn.Softmin(dim=1), (7,)),
    "glu": (lambda: nn.GLU(), (8,)),
    "prelu per channel": (lambda: nn.PReLU(3), (3, 4, 4)),
    "prelu per feature": (lambda: nn.PReLU(7, init=0.1), (7,)),
    "prelu shared": (lambda: nn.PReLU(), (3, 4, 4)),
    "softmax": (lambda: nn.Softmax(dim=1), (7,)),
    "log softmax": (lambda: nn.LogSoftmax(dim=-1), (3, 7)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "dropout (eval: identity)": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Dropout2d(0.3), nn.Flatten(),
                                                       nn.Linear(18, 2)), (2, 3, 3)),
    "layer norm": (lambda: nn.LayerNorm(6), (6,)),
    "identity": (lambda: nn.Sequential(nn.Identity(), nn.ReLU()), (3,)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_runs_in_onnx_runtime_as_in_npnn(name):
    build, shape = LAYERS[name]
    npnn.manual_seed(0)
    assert_same(build(), shape)


TENSOR_OPS = {
    "arithmetic": lambda x: (x * 2 + 1) / 3 - x.neg() + x ** 2,
    "exp log sqrt abs": lambda x: x.exp().log() + (x.abs() + 1).sqrt() + npnn.log1p(x.abs()),
    "clamp": lambda x: x.clamp(-0.5, 0.5) + x.clamp(min=0.1),
    "maximum minimum": lambda x: npnn.maximum(x, x * 0.5) - npnn.minimum(x, 0.2 * x),
    "reductions": lambda x: (x.sum(1, keepdim=True) + x.mean(-1, keepdim=True) + x.amax(1, keepdim=True)
                             - x.amin(1, keepdim=True)),
    "variance": lambda x: x.var(1, keepdim=True) + x.std(-1, keepdim=True) * x.var(1, correction=0,
                                                                                   keepdim=True),
    "reduce to a vector": lambda x: x.sum(1) * x.mean(1),
    "matmul": lambda x: x @ npnn.ones(6, 3),
    "permute and reshape": lambda x: x.reshape(x.shape[0], 2, 3).permute(0, 2, 1).flatten(1),
    "cat": lambda x: npnn.cat([x, x * 2], dim=1),
    "expand": lambda x: x.mean(1, keepdim=True).expand(x.shape[0], 4),
    "view -1": lambda x: x.view(x.shape[0], -1, 2).sum(-1),
    "float cast": lambda x: x.double().float(),
    "clone": lambda x: x.clone() + 1,
    "indexing": lambda x: (x[:, 1:5:2] * x[:, -1:] + x[..., 0, None]
                           - x[:, None, ::-1][:, 0, :2].sum(1, keepdim=True)),
    "in place": lambda x: x.mul_(2).add_(1) * x.clone().sub_(x.amax()),
    "copy_ fill_": lambda x: x.clone().copy_(x * 3) + x.clone().fill_(0.5),
    "stack": lambda x: npnn.stack([x, x * 2], dim=1).flatten(1) + npnn.stack([x, x], dim=2).flatten(1),
    "pad": lambda x: npnn.nn.functional.pad(x, (1, 2), value=0.5),
}


@pytest.mark.parametrize("name", TENSOR_OPS)
def test_tensor_ops_in_a_forward_run_in_onnx_runtime_as_in_npnn(name):
    npnn.manual_seed(0)
    assert_same(Lambda(TENSOR_OPS[name]), (6,))


@pytest.mark.parametrize("settings", [
    {"channels": (4, 8), "hidden": (16,), "batch_norm": True, "dropout": 0.5},
    {"channels": (4,), "hidden": (), "pool": "avg", "activation": "elu", "convs_per_block": 2},
    {"channels": (3, 5, 6), "kernel_size": 5, "hidden": (8, 8), "activation": "gelu", "batch_norm": True},
])
def test_the_workflow_cnn_exports_from_rows_or_images(settings):
    npnn.manual_seed(0)
    model = CNN(**settings)
    with_all = [with_running_stats(m) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(with_all) == (len(settings["channels"]) if settings.get("batch_norm") else 0)
    assert_same(model, (1, 28, 28), atol=1e-4)
    assert_same(model, (784,), atol=1e-4)


def test_the_workflow_mlp_exports_with_a_dynamic_batch():
    npnn.manual_seed(0)
    proto = assert_same(MLP(784, [32, 16], activation="leaky_relu", dropout=0.3), (784,), batch=1)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [init.name for init in proto.graph.initializer][:2] == ["layers.0.weight", "layers.0.bias"]
    assert [node.op_type for node in proto.graph.node] == ["Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm",
                                                          "LogSoftmax"]


def test_export_writes_a_checked_file_names_values_and_keeps_the_training_mode(tmp_path):
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Dropout(0.5), nn.Softmax(dim=1))
    model.train()
    path = tmp_path / "model.onnx"
    npnn.onnx.export(model, npnn.randn(2, 4), path, input_names=["pixels"], output_names=["probs"],
                     metadata={"classes": "a,b,c"}, opset_version=18)
    assert model.training and all(m.training for m in model.modules())  # put back as it was
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["pixels"]
    assert [o.name for o in proto.graph.output] == ["probs"]
    assert {p.key: p.value for p in proto.metadata_props} == {"classes": "a,b,c"}
    assert proto.opset_import[0].version == 18 and proto.producer_name == "npnn"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temp file left


def test_a_layer_with_an_op_onnx_cannot_take_is_named():
    class Norm(nn.Module):
        def forward(self, x):
            return x.norm(dim=1)

    class Sorter(nn.Module):
        def forward(self, x):
            return x.sort(dim=1).values

    model = nn.Sequential(nn.Linear(4, 4), Norm())
    with pytest.raises(npnn.onnx.OnnxExportError, match=r"^1 \(Norm\) cannot be exported to ONNX: its op"):
        npnn.onnx.export(model, npnn.randn(2, 4), io.BytesIO())
    with pytest.raises(npnn.onnx.OnnxExportError, match=r"^1 \(Sorter\): indexing by a tensor"):
        npnn.onnx.export(nn.Sequential(nn.Linear(4, 4), Sorter()), npnn.randn(2, 4), io.BytesIO())


def test_a_reshape_across_the_batch_is_refused_unless_the_batch_is_fixed():
    model = Lambda(lambda x: x.reshape(-1))
    with pytest.raises(npnn.onnx.OnnxExportError, match=r"moves the batch dimension.*dynamic_batch=False"):
        npnn.onnx.export(model, npnn.randn(2, 6), io.BytesIO())
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    (got,), proto = run_in_ort(model, x, [x], dynamic_batch=False)
    with npnn.no_grad():
        np.testing.assert_allclose(got, model(npnn.tensor(x)).numpy(), rtol=1e-6)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2


def test_invalid_arguments_are_refused():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="opset_version=12: npnn writes opsets 17-21"):
        npnn.onnx.export(model, npnn.randn(1, 3), io.BytesIO(), opset_version=12)
    with pytest.raises(ValueError, match="input_names"):
        npnn.onnx.export(model, npnn.randn(1, 3), io.BytesIO(), input_names=["a", "b"])
    with pytest.raises(TypeError, match="floating-point"):
        npnn.onnx.export(model, npnn.tensor([[1, 2, 3]]), io.BytesIO())


def test_import_npnn_loads_no_onnx_until_npnn_onnx_is_used():
    code = ("import sys, npnn; assert not any(m.startswith('onnx') for m in sys.modules); "
            "npnn.onnx.export; assert 'onnx' in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


class ResidualBlock(nn.Module):
    """A ResNet-style block whose forward adds in place (out += x), as torchvision's do."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 3, 3, padding=1), nn.BatchNorm2d(3)

    def forward(self, x):
        out = self.bn(self.conv(x))
        out += x
        return npnn.nn.functional.relu(out)


def test_an_export_under_no_grad_still_records_in_place_updates():
    npnn.manual_seed(0)
    model = with_running_stats_in(ResidualBlock())
    with npnn.no_grad():
        assert_same(model, (3, 8, 8))


def with_running_stats_in(model):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            with_running_stats(module)
    return model


@pytest.mark.parametrize("pool, size", [(nn.AvgPool2d(4), 7), (nn.AvgPool2d(3, stride=2), 4),
                                        (nn.AvgPool2d(5), 5)])
def test_one_pooling_window_per_axis_keeps_its_size(pool, size):
    assert_same(nn.Sequential(pool, nn.Flatten()), (2, size, size))


def test_a_forward_that_leaves_npnn_s_ops_is_refused_not_written_wrong(tmp_path):
    npnn.manual_seed(0)
    for forward in (lambda x: x * (x > 0).float(), lambda x: x / x.abs().max().item(),
                    lambda x: (x * 10).long().float() / 10, lambda x: x * x.argmax(1, keepdim=True)):
        path = tmp_path / "model.onnx"
        refused = r"on a second input.*outside npnn's differentiable"
        with pytest.raises(npnn.onnx.OnnxExportError, match=refused):
            npnn.onnx.export(Lambda(forward), npnn.randn(2, 6), path)
        assert not path.exists()
    npnn.onnx.export(Lambda(lambda x: x * (x > 0).float()), npnn.randn(2, 6), path, verify=False)
    assert path.exists()  # the user's choice: traced as it ran


def test_names_never_collide_with_parameters():
    class Named(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 5)
            self.const_0 = nn.Parameter(npnn.ones(5))
            self.input = nn.Parameter(npnn.full((5,), 2.0))

        def forward(self, x):
            return self.fc(x) * 2 + self.const_0 * self.input

    npnn.manual_seed(0)
    proto = assert_same(Named(), (5,))
    assert proto.graph.input[0].name not in {"input", "const_0"}
    with pytest.raises(ValueError, match=r"'fc\.weight' is already the name of a parameter"):
        npnn.onnx.export(Named(), npnn.randn(2, 5), io.BytesIO(), input_names=["fc.weight"])


def test_mixed_dtypes_are_cast_as_npnn_promotes_them():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)
            self.register_buffer("offset", np.linspace(0, 1, 4))  # float64

        def forward(self, x):
            return self.linear(x) + self.offset + x.var() + x.std(0) + x.var(0, correction=0)

    npnn.manual_seed(0)
    model = Mixed()
    assert_same(model, (4,))
    assert model(npnn.randn(2, 4)).dtype == np.float64


def test_a_forward_may_change_its_input_in_place():
    model = nn.Sequential(nn.Linear(6, 6))

    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x):
            x.mul_(2)
            return self.inner(x)

    npnn.manual_seed(0)
    assert_same(Scales(), (6,))


@pytest.mark.parametrize("layer, groups", [
    (lambda: nn.Conv2d(4, 4, 3), None), (lambda: nn.Conv2d(4, 8, 3, groups=2), 2),
    (lambda: nn.Conv2d(4, 8, 3, groups=4), 4), (lambda: nn.ConvTranspose2d(4, 2, 3, groups=2), 2),
], ids=["plain", "groups 2", "depthwise x2", "transposed groups 2"])
def test_a_grouped_convolution_is_one_node_with_onnx_s_group_attribute(layer, groups):
    proto = npnn.onnx.export(layer(), npnn.randn(2, 4, 5, 5), io.BytesIO())
    (node,) = proto.graph.node
    group = [attribute.i for attribute in node.attribute if attribute.name == "group"]
    assert group == ([] if groups is None else [groups])


@pytest.mark.parametrize("layer, ops", [
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), ["ConvTranspose"]),
    (lambda: nn.Upsample(scale_factor=2), ["Resize"]),
    (lambda: nn.Upsample(scale_factor=1.7, mode="bilinear"), ["Resize"]),
    (lambda: nn.UpsamplingBilinear2d(size=(9, 7)), ["Shape", "Slice", "Concat", "Resize"]),
    (lambda: nn.Upsample(scale_factor=1.5), ["Gather", "Gather"]),  # nearest by 1.5: the exact picks
], ids=["conv transpose", "nearest x2", "bilinear x1.7", "bilinear align corners", "nearest x1.5"])
def test_decoder_layers_are_written_as_onnx_s_own_ops(layer, ops):
    proto = npnn.onnx.export(layer(), npnn.randn(2, 2, 4, 5), io.BytesIO())
    assert [node.op_type for node in proto.graph.node] == ops
