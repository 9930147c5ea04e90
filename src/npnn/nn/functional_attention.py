"""Attention, functional: scaled_dot_product_attention and the multi-head attention that
nn.MultiheadAttention runs, composed from primitives (matmul, softmax, dropout, linear).

The two take opposite boolean masks, as PyTorch's: in scaled_dot_product_attention True means
"may attend"; in multi-head attention's attn_mask and key_padding_mask True means "masked out".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend, ops
from npnn._tensor import Tensor


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q kᵀ · scale + bias) v over (..., L, E), (..., S, E), (..., S, Ev) -> (..., L, Ev).

    scale defaults to 1/√E. A boolean attn_mask keeps the True positions, a float one is added;
    is_causal keeps j <= i and refuses an attn_mask beside it, as PyTorch.
    A row with every position masked gives zeros, as PyTorch's. Dropout with dropout_p is
    always applied (pass 0.0 outside training, as with PyTorch). enable_gqa is not supported.
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported in npnn; "
                                  "repeat key and value to the query's number of heads")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    xp = backend.get_array_module(query.array)
    keep = xp.tril(xp.ones((length, source), dtype=bool)) if is_causal else None
    bias = None
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            keep = attn_mask.array
        else:
            bias = attn_mask
    scores = ops.matmul(query, key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    return ops.matmul(_masked_softmax(scores, keep, dropout_p), value)


def _masked_softmax(scores: Tensor, keep: Any, dropout_p: float) -> Tensor:
    """softmax over the last dim with the positions where `keep` is False at -inf; rows that
    are -inf throughout (masked or given so) give zeros and no gradient instead of NaN."""
    xp = backend.get_array_module(scores.array)
    if keep is not None:
        scores = ops.masked_fill(scores, ~keep, float("-inf"))
    empty = xp.isneginf(scores.array).all(axis=-1, keepdims=True)
    if empty.any():
        scores = ops.masked_fill(scores, empty, 0.0)
        weights = ops.masked_fill(ops.softmax(scores, -1), empty, 0.0)
    else:
        weights = ops.softmax(scores, -1)
    return ops.dropout(weights, dropout_p, True) if dropout_p > 0 else weights


def additive_mask(attn_mask: Tensor | None, key_padding_mask: Tensor | None, batch: int, heads: int,
                  length: int, source: int, dtype: Any) -> Tensor | None:
    """multi-head attention's two masks as one float mask broadcasting to (batch, heads, L, S):
    True (masked out) becomes -inf, a float mask is added as it is."""
    masks = []
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (length, source):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(length, source)}.")
            masks.append(_as_float(attn_mask, dtype))
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (batch * heads, length, source):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(batch * heads, length, source)}.")
            masks.append(_as_float(attn_mask, dtype).reshape(batch, heads, length, source))
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source):
            raise RuntimeError(f"expecting key_padding_mask shape of {(batch, source)}, but got "
                               f"{tuple(key_padding_mask.shape)}")
        masks.append(_as_float(key_padding_mask, dtype).reshape(batch, 1, 1, source))
    if not masks:
        return None
    return masks[0] if len(masks) == 1 else masks[0] + masks[1]


def _as_float(mask: Tensor, dtype: Any) -> Tensor:
    if mask.dtype == bool:
        xp = backend.get_array_module(mask.array)
        return Tensor(xp.where(mask.array, dtype.type(float("-inf")), dtype.type(0)))
    if mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of masks are supported, got {mask.dtype}")
    if mask.dtype not in (dtype, np.float32):  # PyTorch's rule; a float32 mask is cast to the query's dtype
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                           f"got attn_mask.dtype: {mask.dtype} and query.dtype: {dtype} instead; pass "
                           f"mask.to(npnn.{dtype})")
    return mask.to(dtype)


Projection = tuple[Tensor, Tensor | None]


def multi_head_attention(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                         projections: list[Projection], out_proj: Projection,
                         mask: Tensor | None, dropout_p: float, need_weights: bool,
                         average_attn_weights: bool) -> tuple[Tensor, Tensor | None]:
    """Batch-first (N, L, E) multi-head attention: project, split into heads, attend, merge,
    project out. `projections` are (weight, bias) of q, k, v; one (weight, bias) when the three
    share a packed in_proj weight and query, key and value are the same tensor (self-attention).
    A query whose keys are all masked gets NaN with need_weights (PyTorch's softmax), zeros
    without (PyTorch's scaled_dot_product_attention)."""
    batch, length, embed = query.shape
    head_dim = embed // num_heads
    if len(projections) == 1:
        q, k, v = ops.chunk(ops.linear(query, *projections[0]), 3, -1)
    else:
        q, k, v = (ops.linear(x, w, b) for x, (w, b) in zip((query, key, value), projections, strict=True))

    def heads(x: Tensor) -> Tensor:
        return x.reshape(batch, x.shape[1], num_heads, head_dim).permute(0, 2, 1, 3)

    q, k, v = heads(q), heads(k), heads(v)
    scores = ops.matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
    if mask is not None:
        scores = scores + mask
    if need_weights:
        weights = ops.softmax(scores, -1)
        weights = ops.dropout(weights, dropout_p, True) if dropout_p > 0 else weights
    else:  # PyTorch then runs scaled_dot_product_attention: a fully masked row gives zeros, not NaN
        weights = _masked_softmax(scores, None, dropout_p)
    output = ops.matmul(weights, v).permute(0, 2, 1, 3).reshape(batch, length, embed)
    output = ops.linear(output, *out_proj)
    if not need_weights:
        return output, None
    return output, ops.mean(weights, 1) if average_attn_weights else weights
