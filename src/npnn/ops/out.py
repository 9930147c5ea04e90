"""PyTorch's `out=` keyword (`torch.mul(a, b, out=c)`): write a result into an existing tensor."""

from __future__ import annotations

from npnn._tensor import Tensor
from npnn.autograd.grad_mode import is_grad_enabled


def write_out(result: Tensor, out: Tensor | None, op: str) -> Tensor:
    """`result` itself when `out` is None, else `out` holding a copy of it (no graph, as PyTorch)."""
    if out is None:
        return result
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad; drop out= "
                           "(write `c = op(a, b)`) or call it under npnn.no_grad()")
    if out.shape != result.shape:
        raise RuntimeError(f"{op}(): out= has shape {out.shape} but the result has shape "
                           f"{result.shape}; npnn does not resize out (PyTorch does, with a "
                           "deprecation warning): pass an out of the result's shape")
    out.array[...] = result.array
    return out
