"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: outputs, attention
weights and the gradients of the inputs and of every parameter (torch's state_dict loaded)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import layer_torch_compare as torch_compare  # noqa: E402  (after the torch check)

RNG = np.random.default_rng(0)
CAUSAL = np.triu(np.ones((4, 4), dtype=bool), 1)  # True above the diagonal: masked in MHA


def sdpa(lib):
    return (npnn.nn.functional if lib == "npnn" else torch.nn.functional).scaled_dot_product_attention


@pytest.mark.parametrize("case", ["plain", "bool mask", "float mask", "causal", "scale", "masked row"])
def test_scaled_dot_product_attention_matches_torch(case, dtype) -> None:
    q, k, v = (RNG.standard_normal(s).astype(dtype) for s in ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)))
    keep = RNG.random((4, 5)) > 0.3
    keep[:, 0] = True
    if case == "masked row":
        keep[2] = False
    kwargs, constants = {}, []
    if case in ("bool mask", "masked row"):
        constants = [keep]
    if case == "float mask":
        constants = [RNG.standard_normal((4, 5)).astype(dtype)]
    if case.startswith("causal"):
        kwargs["is_causal"] = True
    if case == "scale":
        kwargs["scale"] = 0.3

    def call(f, args):
        mask = args[3] if len(args) > 3 else None
        return f(*args[:3], attn_mask=mask, **kwargs)

    torch_compare.compare(sdpa("npnn"), sdpa("torch"), [q, k, v], dtype, call, constants)


def test_scaled_dot_product_attention_dropout() -> None:
    q, k, v = (npnn.tensor(RNG.standard_normal((2, 4, 8)).astype(np.float32)) for _ in range(3))
    f = npnn.nn.functional.scaled_dot_product_attention
    plain = f(q, k, v).numpy()
    assert not np.allclose(f(q, k, v, dropout_p=0.5).numpy(), plain)
    np.testing.assert_array_equal(f(q, k, v, dropout_p=1.0).numpy(), np.zeros_like(plain))
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        f(q, k, v, attn_mask=npnn.ones(4, 4, dtype=npnn.bool), is_causal=True)
    with pytest.raises(NotImplementedError, match="enable_gqa"):
        f(q, k, v, enable_gqa=True)


MHA_CASES = {
    "self": ({}, {}),
    "self batch_first": ({"batch_first": True}, {}),
    "cross": ({}, {"cross": True}),
    "heads kept": ({}, {"average_attn_weights": False}),
    "no weights": ({}, {"need_weights": False}),
    "causal bool": ({}, {"attn_mask": CAUSAL, "is_causal": True}),
    "float mask": ({"batch_first": True}, {"attn_mask": RNG.standard_normal((4, 4))}),
    "3-D mask": ({}, {"attn_mask": RNG.standard_normal((6, 4, 4))}),
    "padding": ({"batch_first": True}, {"key_padding_mask": np.array([[False] * 4, [False, False, True, True],
                                                                       [False, True, False, True]])}),
    "padding and causal": ({}, {"key_padding_mask": np.array([[False] * 4, [False, False, True, True],
                                                              [False] * 3 + [True]]), "attn_mask": CAUSAL}),
    "all keys masked": ({}, {"key_padding_mask": np.array([[False] * 4, [True] * 4, [False] * 3 + [True]]),
                             "need_weights": False}),
    "no bias": ({"bias": False}, {}),
    "kdim vdim": ({"kdim": 5, "vdim": 3}, {"cross": True}),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case, dtype) -> None:
    init, options = MHA_CASES[case]
    ours, theirs = torch_compare.pair(nn.MultiheadAttention, torch.nn.MultiheadAttention, dtype, 8, 2, **init)
    assert repr(ours) == repr(theirs)
    options = dict(options)
    cross = options.pop("cross", False)
    masks = {name: options.pop(name) for name in ("attn_mask", "key_padding_mask") if name in options}
    first = (lambda n: (3, 4, n)) if init.get("batch_first") else (lambda n: (4, 3, n))
    arrays = [RNG.standard_normal(first(8)).astype(dtype)]
    if cross:
        arrays += [RNG.standard_normal(first(init.get("kdim", 8))).astype(dtype),
                   RNG.standard_normal(first(init.get("vdim", 8))).astype(dtype)]
    constants = [m.astype(dtype) if m.dtype.kind == "f" else m for m in masks.values()]

    def call(module, args):
        q, k, v = args[:3] if cross else (args[0],) * 3
        named = dict(zip(masks, args[3 if cross else 1:], strict=True))
        return module(q, k, v, **named, **options)

    torch_compare.compare(ours, theirs, arrays, dtype, call, constants)


def test_multihead_attention_unbatched_matches_torch(dtype) -> None:
    ours, theirs = torch_compare.pair(nn.MultiheadAttention, torch.nn.MultiheadAttention, dtype, 8, 2)
    arrays = [RNG.standard_normal((4, 8)).astype(dtype), RNG.standard_normal((5, 8)).astype(dtype)]
    padding = np.array([False, False, True, False, True])

    def call(module, args):
        return module(args[0], args[1], args[1], key_padding_mask=args[2], average_attn_weights=False)

    torch_compare.compare(ours, theirs, arrays, dtype, call, [padding])


def test_multihead_attention_init_and_errors() -> None:
    mha = nn.MultiheadAttention(16, 4, dropout=0.5)
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(mha.in_proj_weight.numpy()).max() <= bound
    assert np.abs(mha.in_proj_weight.numpy()).max() > 0.9 * bound
    assert not mha.in_proj_bias.numpy().any() and not mha.out_proj.bias.numpy().any()
    x = npnn.randn(5, 2, 16)
    mha.eval()
    np.testing.assert_array_equal(mha(x, x, x)[0].numpy(), mha(x, x, x)[0].numpy())
    mha.train()
    assert not np.allclose(mha(x, x, x)[0].numpy(), mha(x, x, x)[0].numpy())
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)
