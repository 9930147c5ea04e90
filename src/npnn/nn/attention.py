"""nn.MultiheadAttention, with PyTorch's parameters, state_dict keys, init and masks.

add_bias_kv and add_zero_attn are not supported by npnn and raise; is_causal is PyTorch's hint
(an attn_mask is still needed; the mask is what is applied).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.nn import init
from npnn.nn.functional_attention import additive_mask, multi_head_attention
from npnn.nn.layers import Linear
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention.out_proj (so reprs match)."""


class MultiheadAttention(Module):
    """Attention of `num_heads` heads of embed_dim // num_heads over (L, N, E) input, or (N, L, E)
    with batch_first, or unbatched (L, E); forward -> (output, weights or None).

    Weights: in_proj_weight (3E, E) and in_proj_bias (3E) packing q, k, v (q_proj_weight,
    k_proj_weight, v_proj_weight when kdim or vdim differ from embed_dim), out_proj (E, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None, dtype: Any = None,
                 *, generator: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported "
                                      "in npnn; leave them False")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim, self.batch_first = embed_dim // num_heads, batch_first
        dtype = backend.resolve_float_dtype(dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            for name, columns in (("q_proj", embed_dim), ("k_proj", self.kdim), ("v_proj", self.vdim)):
                setattr(self, name + "_weight", Parameter(np.empty((embed_dim, columns), dtype=dtype)))
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias",
                                Parameter(np.empty(3 * embed_dim, dtype=dtype)) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, dtype=dtype,
                                                        generator=generator)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self._reset_parameters(generator)
        if device is not None:
            self.to(device)

    def _reset_parameters(self, generator: Any = None) -> None:
        """PyTorch's: xavier_uniform_ projections, zero biases (out_proj's weight keeps Linear's)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        self_attention = query is key and key is value
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got "
                                 f"{query.shape[-1]}")
        batch, length = query.shape[:2]
        mask = additive_mask(attn_mask, key_padding_mask, batch, self.num_heads, length, key.shape[1],
                             query.dtype)
        if self._qkv_same_embed_dim:
            weights = self.in_proj_weight.chunk(3, 0) if not self_attention else None
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3, 0)
        if weights is None:
            projections = [(self.in_proj_weight, self.in_proj_bias)]
        else:
            projections = list(zip(weights, biases, strict=True))
        output, attention = multi_head_attention(
            query, key, value, self.num_heads, projections, (self.out_proj.weight, self.out_proj.bias), mask,
            self.dropout if self.training else 0.0, need_weights, average_attn_weights)
        if not batched:
            return output.squeeze(0), None if attention is None else attention.squeeze(0)
        if not self.batch_first:
            output = output.transpose(0, 1)
        return output, attention
