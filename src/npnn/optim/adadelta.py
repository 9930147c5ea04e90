"""`Adadelta`: step sizes from running averages of squared gradients and updates, as torch.optim.Adadelta."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.nadam import decayed_grad
from npnn.optim.optimizer import Optimizer, ParamsT


class Adadelta(Optimizer):
    """Adadelta with PyTorch's formulas (its single-tensor path) and state names.

    v = rho*v + (1-rho)*g*g; d = sqrt(u + eps) / sqrt(v + eps) * g; u = rho*u + (1-rho)*d*d;
    p -= lr*d. `weight_decay` adds wd*p to g first; `maximize` negates g. State per parameter:
    "step" (a Python int, PyTorch keeps a float tensor), "square_avg", "acc_delta". Differs from
    PyTorch: no foreach, capturable or differentiable flags (passing one is a TypeError;
    torch's positional `foreach` slot after weight_decay is not there).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (needs 0 <= rho <= 1)")
        if not group["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {group['eps']} (eps must be >= 0)")
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            state["acc_delta"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        third = self._scratch(param, 2)
        state["step"] = int(state["step"]) + 1
        grad = decayed_grad(param, grad, group, first, second)

        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += np.multiply(np.multiply(grad, 1 - rho, out=second), grad, out=second)
        std = np.add(square_avg, eps, out=second)
        np.sqrt(std, out=std)
        delta = np.add(acc_delta, eps, out=third)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += np.multiply(np.multiply(delta, 1 - rho, out=second), delta, out=second)
        param += np.multiply(delta, -group["lr"], out=second)
