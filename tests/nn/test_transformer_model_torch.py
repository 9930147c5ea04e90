"""nn.Transformer against PyTorch: signatures and defaults, state_dict keys, reprs, init, errors,
generate_square_subsequent_mask; torch's weights loaded give the same outputs and gradients over
options x masks, in training and eval; a small copy-task seq2seq trains to torch's losses."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import layer_torch_compare as torch_compare  # noqa: E402  (after the torch check)

# torch says why its encoder takes no nested-tensor path for these options; npnn never does
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")

S, T, N, E, HEADS = 5, 4, 3, 8, 2

CASES = {
    "post-norm relu": {},
    "pre-norm gelu batch_first": {"norm_first": True, "activation": "gelu", "batch_first": True},
    "no bias eps batch_first": {"bias": False, "layer_norm_eps": 1e-3, "batch_first": True},
}


def masks(kind: str, dtype) -> dict[str, np.ndarray]:
    """nn.Transformer mask keywords of each kind (no query left with every key masked)."""
    rng = np.random.default_rng(5)
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    src_padding = np.zeros((N, S), dtype=bool)
    src_padding[1, 3:] = src_padding[2, 4] = True
    tgt_padding = np.zeros((N, T), dtype=bool)
    tgt_padding[2, 2:] = True
    if kind == "none":
        return {}
    if kind == "bool":
        src_mask = rng.random((S, S)) < 0.3
        np.fill_diagonal(src_mask, False)
        return {"src_mask": src_mask, "tgt_mask": causal, "memory_mask": rng.random((T, S)) < 0.2,
                "src_key_padding_mask": src_padding, "tgt_key_padding_mask": tgt_padding,
                "memory_key_padding_mask": src_padding}
    if kind == "float":
        return {"src_mask": rng.standard_normal((S, S)).astype(dtype),
                "tgt_mask": np.where(causal, -np.inf, rng.standard_normal((T, T))).astype(dtype),
                "memory_mask": rng.standard_normal((N * HEADS, T, S)).astype(dtype),
                "memory_key_padding_mask": np.where(src_padding, -np.inf, 0.0).astype(dtype)}
    if kind == "causal hints":
        square = nn.Transformer.generate_square_subsequent_mask
        return {"src_mask": square(S, dtype=dtype).numpy(), "src_is_causal": True,
                "tgt_mask": square(T, dtype=dtype).numpy(), "tgt_is_causal": True,
                "memory_mask": np.triu(np.ones((T, S), dtype=bool), 1), "memory_is_causal": True}
    raise ValueError(kind)


def model_pair(dtype, **kwargs):
    return torch_compare.pair(nn.Transformer, torch.nn.Transformer, dtype, E, HEADS, 2, 2, 16, 0.0, **kwargs)


def inputs(dtype, batch_first: bool, batched: bool = True) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = [(S, E), (T, E)] if not batched else [(N, S, E), (N, T, E)] if batch_first else [(S, N, E),
                                                                                              (T, N, E)]
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal hints"])
def test_transformer_matches_torch(case, kind, dtype) -> None:
    ours, theirs = model_pair(dtype, **CASES[case])
    call, constants = torch_compare.keyword_call(masks(kind, dtype))
    arrays = inputs(dtype, CASES[case].get("batch_first", False))
    torch_compare.compare(ours, theirs, arrays, dtype, call, constants)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_in_eval_matches_torch(norm_first, dtype) -> None:
    """In eval, PyTorch's encoder may take its nested-tensor path (zeros at padded source
    positions); with memory_key_padding_mask masking them the decoder output is the same."""
    ours, theirs = model_pair(dtype, batch_first=True, norm_first=norm_first)
    ours.eval()
    theirs.eval()
    mask_arrays = masks("bool", dtype)
    results = []
    for model, lib in ((ours, npnn), (theirs, torch)):
        tensors = {k: lib.tensor(v) for k, v in mask_arrays.items()}
        with torch.no_grad():
            results.append(model(*(lib.tensor(a) for a in inputs(dtype, True)), **tensors).numpy())
    torch_compare.assert_close(*results, dtype, "eval output")


def test_unbatched_transformer_matches_torch(dtype) -> None:
    ours, theirs = model_pair(dtype, norm_first=True)
    call, constants = torch_compare.keyword_call({"tgt_mask": np.triu(np.ones((T, T), dtype=bool), 1),
                                 "src_key_padding_mask": np.array([False, True, False, False, True]),
                                 "memory_key_padding_mask": np.array([False, True, False, False, True])})
    torch_compare.compare(ours, theirs, inputs(dtype, False, batched=False), dtype, call, constants)


def test_custom_encoder_and_decoder_are_used_and_reinitialized() -> None:
    def build(lib):
        encoder = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(E, HEADS, 16, 0.0), 1)
        decoder = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(E, HEADS, 16, 0.0), 1)
        before = encoder.layers[0].linear1.weight.detach().numpy().copy()
        model = lib.nn.Transformer(E, HEADS, custom_encoder=encoder, custom_decoder=decoder)
        assert model.encoder is encoder and model.decoder is decoder
        assert not np.array_equal(before, encoder.layers[0].linear1.weight.detach().numpy())
        return model

    theirs, ours = build(torch), build(npnn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "encoder.norm.weight" not in ours.state_dict()
    ours.load_state_dict({k: npnn.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    torch_compare.compare(ours, theirs, inputs(np.float32, False), np.float32, lambda m, a: m(a[0], a[1]))


def test_init_is_xavier_for_matrices_as_torchs() -> None:
    """Every matrix is U(±√(6/(fan_in+fan_out))): wider than Linear's U(±1/√fan_in) for linear1
    (so some weight exceeds Linear's bound), biases and LayerNorm as their layers make them."""
    model = nn.Transformer(E, HEADS, 1, 1, 16)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            assert np.abs(values).max() <= np.sqrt(6 / (fan_in + fan_out)), name
        elif "in_proj_bias" in name or "out_proj.bias" in name or ("norm" in name and "bias" in name):
            assert not values.any(), name
    linear1 = model.encoder.layers[0].linear1.weight.numpy()
    assert np.abs(linear1).max() > 1 / np.sqrt(E)


def test_generate_square_subsequent_mask_is_torchs() -> None:
    for size in (0, 1, 5):
        ours = nn.Transformer.generate_square_subsequent_mask(size)
        assert ours.dtype == np.float32
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(size)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    doubled = nn.Transformer(E, HEADS, 1, 1, 16).generate_square_subsequent_mask(3, device="cpu",
                                                                                 dtype=npnn.float64)
    np.testing.assert_array_equal(doubled.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(
        3, dtype=torch.float64).numpy())


def test_signatures_reprs_and_errors_are_torchs() -> None:
    for name in ("Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
                 "TransformerEncoderLayer"):
        for method in ("__init__", "forward"):
            ours = inspect.signature(getattr(getattr(nn, name), method)).parameters
            theirs = inspect.signature(getattr(getattr(torch.nn, name), method)).parameters
            assert list(ours) == list(theirs), (name, method)
            for key, parameter in ours.items():
                default = theirs[key].default
                expected = default.__name__ if callable(default) else default
                actual = parameter.default.__name__ if callable(parameter.default) else parameter.default
                assert actual == expected, (name, method, key)
    ours, theirs = nn.Transformer(E, HEADS, 1, 2, 16), torch.nn.Transformer(E, HEADS, 1, 2, 16)
    assert repr(ours) == repr(theirs)
    assert (ours.d_model, ours.nhead, ours.batch_first) == (theirs.d_model, theirs.nhead, theirs.batch_first)
    for model, lib in ((ours, npnn), (theirs, torch)):
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(lib.zeros(S, 2, E), lib.zeros(T, 3, E))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            model(lib.zeros(S, 2, E), lib.zeros(T, 2, 6))


def copy_model(lib, vocab: int):
    """Embedding -> nn.Transformer (teacher forcing, causal target mask) -> Linear to logits."""

    class CopyModel(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, 16)
            self.transformer = lib.nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True)
            self.head = lib.nn.Linear(16, vocab)

        def forward(self, src, tgt):
            length, dtype = tgt.shape[1], self.head.weight.dtype
            mask = self.transformer.generate_square_subsequent_mask(length, dtype=dtype)
            return self.head(self.transformer(self.embed(src), self.embed(tgt), tgt_mask=mask,
                                              tgt_is_causal=True))

    return CopyModel()


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-4), (np.float64, 1e-10)])
def test_copy_task_trains_as_torch(dtype, rtol) -> None:
    vocab, rng = 7, np.random.default_rng(2)
    tokens = rng.integers(1, vocab, size=(4, 6))
    decoder_in = np.concatenate([np.zeros((4, 1), dtype=tokens.dtype), tokens[:, :-1]], axis=1)  # 0 = BOS
    theirs = copy_model(torch, vocab).to(torch_compare.TORCH_DTYPE[np.dtype(dtype)])
    ours = copy_model(npnn, vocab).to(dtype)
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    losses = {}
    for lib, model in ((torch, theirs), (npnn, ours)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
        losses[lib.__name__] = []
        for _ in range(3):
            logits = model(lib.tensor(tokens), lib.tensor(decoder_in))
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, vocab), lib.tensor(tokens).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses[lib.__name__].append(loss.item())
    np.testing.assert_allclose(losses["npnn"], losses["torch"], rtol=rtol)
    assert losses["npnn"][2] < losses["npnn"][0]
    if dtype == np.float64:
        for name, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-8, atol=1e-10,
                                       err_msg=name)
