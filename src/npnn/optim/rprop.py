"""`Rprop`: resilient backpropagation (sign-based steps with adaptive sizes), as torch.optim.Rprop."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.optimizer import Optimizer, ParamsT


class Rprop(Optimizer):
    """Rprop with PyTorch's formulas (its single-tensor path) and state names.

    Where g agrees in sign with the previous (kept) gradient, the per-coordinate step size grows
    by etas[1]; where it flips, it shrinks by etas[0] and that coordinate skips this step (its g
    is kept as 0); sizes are clamped to `step_sizes`; p -= sign(g) * size. State per parameter:
    "step" (a Python int, PyTorch keeps a float tensor), "prev", "step_size" (starting at lr).
    Differs from PyTorch: no foreach, capturable or differentiable flags (passing one is a
    TypeError).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus} "
                             "(needs 0 < etas[0] < 1 < etas[1])")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        xp = backend.get_array_module(param)
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param)
            state["step_size"] = xp.full_like(param, group["lr"])
        state["step"] = int(state["step"]) + 1
        grad = np.negative(grad) if group["maximize"] else grad.copy()

        prev, step_size = state["prev"], state["step_size"]
        product = np.multiply(grad, prev, out=self._scratch(param, 0))
        factor = xp.ones_like(param)
        factor[product > 0] = etaplus
        flipped = product < 0
        factor[flipped] = etaminus
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad[flipped] = 0
        param -= np.multiply(np.sign(grad, out=factor), step_size, out=factor)
        prev[...] = grad
