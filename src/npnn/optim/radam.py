"""`RAdam`: Adam with a rectified adaptive step, as torch.optim.RAdam."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.adam import _lerp_, check_adam_group
from npnn.optim.nadam import decayed_grad
from npnn.optim.optimizer import Optimizer, ParamsT


class RAdam(Optimizer):
    """RAdam with PyTorch's formulas (its single-tensor path) and state names.

    m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g; rho_t = rho_inf - 2t b2^t/(1-b2^t). While
    rho_t <= 5 the step is plain momentum, p -= lr * m/(1-b1^t); after it is rectified:
    p -= lr * m/(1-b1^t) * sqrt(1-b2^t)/(sqrt(v)+eps) * r_t. `decoupled_weight_decay=True`
    multiplies p by 1 - lr*wd first, else wd*p joins g. State per parameter: "step" (a Python
    int, PyTorch keeps a float tensor), "exp_avg", "exp_avg_sq". Differs from PyTorch: no
    foreach, capturable or differentiable flags (passing one is a TypeError).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        step = state["step"] = int(state["step"]) + 1
        grad = decayed_grad(param, grad, group, first, second)

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, param.dtype.type(1 - beta1), second)
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(np.multiply(grad, 1 - beta2, out=second), grad, out=second)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = np.divide(exp_avg, bias_correction1, out=first)
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = np.sqrt(exp_avg_sq, out=second)
            adaptive += eps
            np.reciprocal(adaptive, out=adaptive)  # PyTorch's scalar / tensor is reciprocal * scalar
            adaptive *= bias_correction2**0.5
            update *= adaptive
            update *= rect
        param -= update
