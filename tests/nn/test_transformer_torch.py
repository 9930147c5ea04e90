"""nn.TransformerEncoderLayer and nn.TransformerEncoder against PyTorch: same state_dict keys;
torch's weights loaded; outputs and all gradients in training mode with dropout 0, and outputs
in eval mode (where PyTorch takes its fused fast path)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import layer_torch_compare as torch_compare  # noqa: E402  (after the torch check)

CAUSAL = np.triu(np.ones((5, 5), dtype=bool), 1)
PADDING = np.array([[False] * 5, [False, False, False, True, True], [False] * 4 + [True]])

LAYER_CASES = {
    "post-norm relu": {},
    "pre-norm gelu batch_first": {"norm_first": True, "activation": "gelu", "batch_first": True},
    "no bias eps": {"bias": False, "layer_norm_eps": 1e-3},
}


def layer_pair(dtype, **kwargs):
    return torch_compare.pair(nn.TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, dtype,
                              8, 2, dim_feedforward=16, dropout=0.0, **kwargs)


def source(dtype, batch_first):
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("case", list(LAYER_CASES))
@pytest.mark.parametrize("masks", [False, True])
def test_encoder_layer_matches_torch(case, masks, dtype) -> None:
    kwargs = LAYER_CASES[case]
    ours, theirs = layer_pair(dtype, **kwargs)

    def call(layer, args):
        if not masks:
            return layer(args[0])
        return layer(args[0], src_mask=args[1], src_key_padding_mask=args[2], is_causal=True)

    torch_compare.compare(ours, theirs, [source(dtype, kwargs.get("batch_first", False))], dtype, call,
                          [CAUSAL, PADDING] if masks else [])


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_matches_torch_in_training_and_eval(norm, dtype) -> None:
    def build(lib, dtype):
        layer = lib.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True,
                                               dtype=dtype)
        return lib.nn.TransformerEncoder(layer, 3, norm=lib.nn.LayerNorm(8, dtype=dtype) if norm else None)

    theirs = build(torch, torch_compare.TORCH_DTYPE[np.dtype(dtype)])
    ours = build(npnn, dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "layers.2.self_attn.in_proj_weight" in ours.state_dict()
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    x = source(dtype, True)
    torch_compare.compare(ours, theirs, [x], dtype, lambda m, a: m(a[0], mask=a[1]), [CAUSAL])
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    torch_compare.assert_close(ours(npnn.tensor(x)).numpy(), expected, dtype, "eval output")


def test_encoder_copies_the_layer_and_dropout_acts_in_training() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    encoder = nn.TransformerEncoder(layer, 2)
    first, second = encoder.layers
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.numpy(), layer.linear1.weight.numpy())
    x = npnn.randn(5, 2, 8)
    assert not np.allclose(encoder(x).numpy(), encoder(x).numpy())
    encoder.eval()
    np.testing.assert_array_equal(encoder(x).numpy(), encoder(x).numpy())
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_reprs_with_repeated_layers_are_torchs():
    """ModuleList folds a run of equal entries into `(0-1): 2 x ...`, as torch prints a model."""
    pairs = [
        (nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2),
         torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2,
                                     enable_nested_tensor=False)),
        (nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3), nn.Linear(2, 2)]),
         torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(),
                              torch.nn.Linear(2, 3), torch.nn.Linear(2, 2)])),
        (nn.ModuleList(), torch.nn.ModuleList()),
        (nn.ModuleList([nn.Sequential(nn.Linear(2, 2))] * 3),
         torch.nn.ModuleList([torch.nn.Sequential(torch.nn.Linear(2, 2))] * 3)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert "(0-1): 2 x Linear" in repr(pairs[1][0])
