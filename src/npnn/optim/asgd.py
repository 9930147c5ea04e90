"""`ASGD`: averaged stochastic gradient descent, as torch.optim.ASGD."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.nadam import decayed_grad
from npnn.optim.optimizer import Optimizer, ParamsT


def _float32(value: float) -> float:
    """`value` rounded to float32, as PyTorch keeps ASGD's eta and mu (float32 scalar tensors)."""
    return float(np.float32(value))


class ASGD(Optimizer):
    """ASGD with PyTorch's formulas (its single-tensor path) and state names.

    p *= 1 - lambd*eta; p -= eta*g; ax = p while mu == 1, else ax += mu*(p - ax); then
    eta = lr / (1 + lambd*lr*t)^alpha and mu = 1/max(1, t - t0). `weight_decay` adds wd*p to g
    first; `maximize` negates g. State per parameter: "step" (a Python int, PyTorch keeps a float
    tensor), "eta" and "mu" (Python floats rounded to float32, as PyTorch's float32 scalar
    tensors), "ax" (the average). Differs from PyTorch: no foreach, capturable or differentiable
    flags (passing one is a TypeError); `maximize` is keyword-only (torch's sits after foreach).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["eta"] = _float32(lr)
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        step = state["step"] = int(state["step"]) + 1
        grad = decayed_grad(param, grad, group, first, second)

        eta, mu = float(state["eta"]), float(state["mu"])
        param *= 1 - lambd * eta
        param += np.multiply(grad, -eta, out=second)
        ax = state["ax"]
        if mu != 1:
            difference = np.subtract(param, ax, out=second)
            difference *= mu
            ax += difference
        else:
            ax[...] = param
        state["eta"] = _float32(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"] = _float32(1 / max(1, step - group["t0"]))
