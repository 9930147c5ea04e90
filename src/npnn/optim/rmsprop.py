"""`RMSprop`: divide the gradient by a running root mean square, as torch.optim.RMSprop."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.adam import _lerp_
from npnn.optim.optimizer import Optimizer, ParamsT


class RMSprop(Optimizer):
    """RMSprop with PyTorch's formulas (its single-tensor path) and state names.

    v = alpha*v + (1-alpha)*g*g; centered: a = lerp(a, g, 1-alpha), avg = sqrt(v - a*a) + eps,
    else avg = sqrt(v) + eps; momentum: b = mu*b + g/avg, p -= lr*b; otherwise p -= lr*g/avg.
    `weight_decay` adds wd*p to g first; `maximize` negates g. State per parameter: "step"
    (a Python int, PyTorch keeps a float tensor), "square_avg", "momentum_buffer" (momentum > 0)
    and "grad_avg" (centered). Differs from PyTorch: no foreach/capturable/differentiable flags.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if not group["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {group['eps']} (eps must be >= 0)")
        if not group["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']} (must be >= 0)")
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")
        if not group["alpha"] >= 0.0:
            raise ValueError(f"Invalid alpha value: {group['alpha']} (must be >= 0)")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        xp = backend.get_array_module(param)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
        # made when first needed: PyTorch raises KeyError where momentum or centered is turned on
        # after the first step (OneCycleLR turns momentum on before it)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(param)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        state["step"] += 1
        if group["maximize"]:
            grad = np.negative(grad, out=first)
        if group["weight_decay"] != 0:
            grad = np.add(grad, np.multiply(param, group["weight_decay"], out=second), out=first)

        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += np.multiply(np.multiply(grad, 1 - alpha, out=second), grad, out=second)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _lerp_(grad_avg, grad, param.dtype.type(1 - alpha), second)
            avg = np.multiply(grad_avg, grad_avg, out=second)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg, out=second)
        avg += eps

        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += np.divide(grad, avg, out=second)
            param += np.multiply(buffer, -lr, out=second)
        else:
            update = np.divide(np.multiply(grad, -lr, out=first), avg, out=second)
            param += update
