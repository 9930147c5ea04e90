"""`Adagrad`: per-coordinate step sizes from the sum of squared gradients, as torch.optim.Adagrad."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """Adagrad with PyTorch's formulas (its single-tensor path) and state names.

    s += g*g; p -= clr * g / (sqrt(s) + eps) with clr = lr / (1 + (t-1)*lr_decay).
    `weight_decay` adds wd*p to g first; `maximize` negates g. As in PyTorch the state is made
    at construction for every parameter: "step" (a Python int, PyTorch keeps a float tensor)
    and "sum" (filled with initial_accumulator_value). Differs from PyTorch: no sparse
    gradients, no foreach/fused/differentiable flags.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param.array, self.state.setdefault(param, {}))

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if not group["lr_decay"] >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {group['lr_decay']} (must be >= 0)")
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")
        if not group["initial_accumulator_value"] >= 0.0:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{group['initial_accumulator_value']} (must be >= 0)")
        if not group["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {group['eps']} (eps must be >= 0)")

    def _init_state(self, param: Any, state: dict[str, Any]) -> None:
        """As PyTorch: the accumulator starts at the constructor's initial_accumulator_value,
        also for a group that gives its own (or is added later)."""
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["sum"] = xp.full_like(param, self.defaults["initial_accumulator_value"])

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        self._init_state(param, state)  # a group added after construction
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        if group["maximize"]:
            grad = np.negative(grad, out=first)
        if group["weight_decay"] != 0:
            grad = np.add(grad, np.multiply(param, group["weight_decay"], out=second), out=first)
        state["sum"] += np.multiply(grad, grad, out=second)
        std = np.sqrt(state["sum"], out=second)
        std += group["eps"]
        update = np.divide(np.multiply(grad, -clr, out=first), std, out=second)
        param += update
