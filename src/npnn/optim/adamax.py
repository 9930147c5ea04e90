"""`Adamax`: Adam with an infinity-norm second moment, as torch.optim.Adamax."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.adam import _lerp_, check_adam_group
from npnn.optim.nadam import decayed_grad
from npnn.optim.optimizer import Optimizer, ParamsT


class Adamax(Optimizer):
    """Adamax with PyTorch's formulas (its single-tensor path) and state names.

    m = lerp(m, g, 1-b1); u = max(b2*u, |g| + eps); p -= lr/(1-b1^t) * m/u. `weight_decay`
    adds wd*p to g first; `maximize` negates g. State per parameter: "step" (a Python int,
    PyTorch keeps a float tensor), "exp_avg", "exp_inf". Differs from PyTorch: no foreach,
    capturable or differentiable flags (passing one is a TypeError; torch's positional
    `foreach` slot after weight_decay is not there).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_inf"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        step = state["step"] = int(state["step"]) + 1
        grad = decayed_grad(param, grad, group, first, second)

        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        _lerp_(exp_avg, grad, param.dtype.type(1 - beta1), second)
        exp_inf *= beta2
        norm = np.abs(grad, out=second)
        norm += group["eps"]
        np.maximum(exp_inf, norm, out=exp_inf)
        clr = group["lr"] / (1 - beta1**step)
        update = np.multiply(exp_avg, -clr, out=first)
        param += np.divide(update, exp_inf, out=update)
