"""nn.TransformerDecoderLayer and nn.TransformerDecoder against PyTorch: same state_dict keys and
reprs; torch's weights loaded; outputs and the gradients of tgt, memory and every parameter over
layer options x masks of each kind (bool/float, 2-D/3-D, key padding, causal hints, unbatched)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import layer_torch_compare as torch_compare  # noqa: E402  (after the torch check)

T, S, N, E, HEADS = 4, 5, 3, 8, 2

LAYER_CASES = {
    "post-norm relu": {},
    "pre-norm gelu batch_first": {"norm_first": True, "activation": "gelu", "batch_first": True},
    "no bias eps batch_first": {"bias": False, "layer_norm_eps": 1e-3, "batch_first": True},
    "silu function pre-norm": {"activation": "silu function", "norm_first": True},
    "tanh-GELU module": {"activation": "GELU module"},
}


def activation(lib, name):
    """A callable activation from `lib` for the cases that name one, else the name itself."""
    if name == "silu function":
        return lib.nn.functional.silu
    if name == "GELU module":
        return lib.nn.GELU(approximate="tanh")
    return name


def masks(kind: str, dtype) -> dict[str, np.ndarray]:
    """Decoder-layer mask keywords (as arrays) of each kind; no query is left with every key
    masked, since PyTorch's result for such a row depends on which kernel runs."""
    rng = np.random.default_rng(5)
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    tgt_padding = np.zeros((N, T), dtype=bool)
    tgt_padding[1, 3:] = tgt_padding[2, 2:] = True
    memory_padding = np.zeros((N, S), dtype=bool)
    memory_padding[0, 4] = True
    memory_padding[2, 1:3] = True
    if kind == "none":
        return {}
    if kind == "bool causal + padding":
        return {"tgt_mask": causal, "tgt_key_padding_mask": tgt_padding,
                "memory_key_padding_mask": memory_padding, "tgt_is_causal": True}
    if kind == "float tgt + memory masks":
        tgt_mask = np.where(causal, -np.inf, rng.standard_normal((T, T))).astype(dtype)
        return {"tgt_mask": tgt_mask, "memory_mask": rng.standard_normal((T, S)).astype(dtype)}
    if kind == "bool memory mask":
        memory_mask = np.zeros((T, S), dtype=bool)
        memory_mask[0, 1:] = memory_mask[3, 0] = True
        return {"memory_mask": memory_mask, "tgt_mask": causal}
    if kind == "causal hints":  # right hints: PyTorch may apply its own causal mask in place of these
        return {"tgt_mask": np.where(causal, -np.inf, 0.0).astype(dtype), "tgt_is_causal": True,
                "memory_mask": np.triu(np.ones((T, S), dtype=bool), 1), "memory_is_causal": True}
    if kind == "3-D float + float padding":
        tgt_mask = np.where(causal, -np.inf, 0.0) + rng.standard_normal((N * HEADS, T, T))
        return {"tgt_mask": tgt_mask.astype(dtype),
                "memory_mask": rng.standard_normal((N * HEADS, T, S)).astype(dtype),
                "memory_key_padding_mask": np.where(memory_padding, -np.inf, 0.0).astype(dtype)}
    raise ValueError(kind)


MASK_KINDS = ["none", "bool causal + padding", "float tgt + memory masks", "bool memory mask", "causal hints",
              "3-D float + float padding"]


def inputs(dtype, batch_first: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = [(N, T, E), (N, S, E)] if batch_first else [(T, N, E), (S, N, E)]
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def layer_pair(dtype, case: str):
    kwargs = dict(LAYER_CASES[case])
    built = [lib.nn.TransformerDecoderLayer(
        E, HEADS, dim_feedforward=16, dropout=0.0, dtype=dt,
        **{**kwargs, "activation": activation(lib, kwargs.get("activation", "relu"))})
        for lib, dt in ((npnn, dtype), (torch, torch_compare.TORCH_DTYPE[np.dtype(dtype)]))]
    ours, theirs = built
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("case", list(LAYER_CASES))
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_decoder_layer_matches_torch(case, kind, dtype) -> None:
    ours, theirs = layer_pair(dtype, case)
    call, constants = torch_compare.keyword_call(masks(kind, dtype))
    arrays = inputs(dtype, LAYER_CASES[case].get("batch_first", False))
    torch_compare.compare(ours, theirs, arrays, dtype, call, constants)


@pytest.mark.parametrize("norm_first", [False, True])
def test_unbatched_decoder_layer_matches_torch(norm_first, dtype) -> None:
    ours, theirs = layer_pair(dtype, "post-norm relu")
    ours.norm_first = theirs.norm_first = norm_first
    rng = np.random.default_rng(3)
    tgt, memory = rng.standard_normal((T, E)).astype(dtype), rng.standard_normal((S, E)).astype(dtype)
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    padding = np.array([False, False, True, False, True])
    call, constants = torch_compare.keyword_call({"tgt_mask": causal, "memory_key_padding_mask": padding})
    torch_compare.compare(ours, theirs, [tgt, memory], dtype, call, constants)


@pytest.mark.parametrize("norm", [False, True])
def test_decoder_matches_torch_in_training_and_eval(norm, dtype) -> None:
    def build(lib, dt):
        layer = lib.nn.TransformerDecoderLayer(E, HEADS, dim_feedforward=16, dropout=0.0, batch_first=True,
                                               dtype=dt)
        return lib.nn.TransformerDecoder(layer, 3, norm=lib.nn.LayerNorm(E, dtype=dt) if norm else None)

    theirs = build(torch, torch_compare.TORCH_DTYPE[np.dtype(dtype)])
    ours = build(npnn, dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "layers.2.multihead_attn.out_proj.weight" in ours.state_dict()
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    arrays = inputs(dtype, True)
    call, constants = torch_compare.keyword_call(masks("bool causal + padding", dtype))
    torch_compare.compare(ours, theirs, arrays, dtype, call, constants)
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(*(torch.tensor(a) for a in arrays)).numpy()
    output = ours(*(npnn.tensor(a) for a in arrays)).numpy()
    torch_compare.assert_close(output, expected, dtype, "eval output")


def test_decoder_copies_the_layer_and_dropout_acts_in_training() -> None:
    layer = nn.TransformerDecoderLayer(E, HEADS, dim_feedforward=16)
    decoder = nn.TransformerDecoder(layer, 2)
    first, second = decoder.layers
    assert first is not layer
    assert first.multihead_attn.in_proj_weight is not second.multihead_attn.in_proj_weight
    np.testing.assert_array_equal(first.linear2.weight.numpy(), layer.linear2.weight.numpy())
    tgt, memory = npnn.randn(T, 2, E), npnn.randn(S, 2, E)
    assert not np.allclose(decoder(tgt, memory).numpy(), decoder(tgt, memory).numpy())
    decoder.eval()
    np.testing.assert_array_equal(decoder(tgt, memory).numpy(), decoder(tgt, memory).numpy())


def test_decoder_errors_are_torchs() -> None:
    for lib in (npnn, torch):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerDecoderLayer(E, HEADS, activation="tanh")
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.TransformerDecoderLayer(E, 3)
        layer = lib.nn.TransformerDecoderLayer(E, HEADS, dim_feedforward=16)
        tgt, memory = lib.zeros(T, 2, E), lib.zeros(S, 2, E)
        for hint in ("tgt_is_causal", "memory_is_causal"):
            with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
                layer(tgt, memory, **{hint: True})
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            lib.nn.TransformerDecoder(layer, 2)(tgt, memory, tgt_is_causal=True)
        with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
            layer(tgt, memory, memory_mask=lib.zeros(T, T))


def test_reprs_and_defaults_are_torchs() -> None:
    pairs = [
        (nn.TransformerDecoderLayer(E, HEADS), torch.nn.TransformerDecoderLayer(E, HEADS)),
        (nn.TransformerDecoderLayer(E, HEADS, 16, 0.2, nn.GELU(), 1e-3, True, True, False),
         torch.nn.TransformerDecoderLayer(E, HEADS, 16, 0.2, torch.nn.GELU(), 1e-3, True, True, False)),
        (nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, 16), 2, nn.LayerNorm(E)),
         torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, HEADS, 16), 2,
                                     torch.nn.LayerNorm(E))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
               {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours, theirs = pairs[0]
    assert ours.linear1.out_features == theirs.linear1.out_features == 2048
    assert ours.activation is npnn.nn.functional.relu and ours.norm_first is False


def test_mask_dtypes_follow_torch() -> None:
    """A float32 mask serves a float64 layer (as PyTorch's); a float64 one on a float32 layer
    is refused with PyTorch's message and npnn's fix."""
    ours, theirs = layer_pair(np.float64, "post-norm relu")
    call, constants = torch_compare.keyword_call(masks("float tgt + memory masks", np.float32))
    torch_compare.compare(ours, theirs, inputs(np.float64, False), np.float64, call, constants)
    wide_mask = masks("float tgt + memory masks", np.float64)["tgt_mask"]
    for lib in (npnn, torch):
        layer = lib.nn.TransformerDecoderLayer(E, HEADS, dim_feedforward=16)
        with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
            layer(lib.zeros(T, N, E), lib.zeros(S, N, E), tgt_mask=lib.tensor(wide_mask))
    with pytest.raises(RuntimeError, match=r"query.dtype: float32 instead; pass mask.to\(npnn.float32\)"):
        layer_pair(np.float32, "post-norm relu")[0](npnn.zeros(T, N, E), npnn.zeros(S, N, E),
                                                    tgt_mask=npnn.tensor(wide_mask))
