"""L1/L2 penalty terms, as the original workflow's `regularization`/`regular_strength`.

They are added to the loss by the training code; `weight_decay` in the optimizers
keeps PyTorch's meaning and is a separate mechanism.
"""

from __future__ import annotations

from collections.abc import Iterator

from npnn import ops
from npnn._tensor import Tensor
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter

KINDS = ("none", "l1", "l2")


def penalized_parameters(module: Module, include_bias: bool = False) -> Iterator[Parameter]:
    """The parameters a penalty applies to: weights, and biases only if asked."""
    for name, param in module.named_parameters():
        if include_bias or name.rsplit(".", 1)[-1] != "bias":
            yield param


def l2_penalty(module: Module, strength: float, include_bias: bool = False) -> Tensor:
    """strength · Σ w² over the module's weights; its gradient is 2 · strength · w."""
    terms = [ops.sum_of_squares(p) for p in penalized_parameters(module, include_bias)]
    return _scaled_total(terms, strength)


def l1_penalty(module: Module, strength: float, include_bias: bool = False) -> Tensor:
    """strength · Σ |w| over the module's weights."""
    terms = [ops.sum(ops.abs(p)) for p in penalized_parameters(module, include_bias)]
    return _scaled_total(terms, strength)


def penalty(module: Module, kind: str, strength: float, include_bias: bool = False) -> Tensor:
    """The penalty named by `kind` ('none', 'l1' or 'l2') at the given strength."""
    if kind not in KINDS:
        raise ValueError(f"regularization must be one of {KINDS}, got {kind!r}")
    if strength < 0:
        raise ValueError(f"regularization strength must be >= 0, got {strength}")
    if kind == "l1":
        return l1_penalty(module, strength, include_bias)
    if kind == "l2":
        return l2_penalty(module, strength, include_bias)
    return Tensor(0.0)


def _scaled_total(terms: list[Tensor], strength: float) -> Tensor:
    if not terms:
        return Tensor(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total * strength
