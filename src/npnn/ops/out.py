"""PyTorch's `out=` argument: the result written into an existing tensor."""

from __future__ import annotations

from npnn._tensor import Tensor


def write_out(result: Tensor, out: Tensor | None, op: str) -> Tensor:
    """`result` itself, or copied into `out` (same shape and dtype) and `out` returned.

    Differs from PyTorch: `out` is not resized to the result's shape; a mismatch raises.
    """
    if out is None:
        return result
    if result.requires_grad:
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad; drop out= (write `y = ...`) or use npnn.no_grad()"
        )
    if out.shape != result.shape or out.dtype != result.dtype:
        raise RuntimeError(
            f"{op}(): out has shape {out.shape} and dtype {out.dtype}, the result {result.shape} "
            f"and {result.dtype}; npnn does not resize out= tensors, so pass one shaped like the result"
        )
    return out.copy_(result)
