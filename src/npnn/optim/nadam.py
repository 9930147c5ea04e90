"""`NAdam`: Adam with Nesterov momentum, as torch.optim.NAdam."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.optim.adam import _lerp_, check_adam_group
from npnn.optim.optimizer import Optimizer, ParamsT


class NAdam(Optimizer):
    """NAdam with PyTorch's formulas (its single-tensor path) and state names.

    mu_t = b1 * (1 - 0.5 * 0.96^(t * momentum_decay)); m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g;
    p += -lr (1-mu_t)/(1-prod mu) * g / d - lr mu_{t+1}/(1-prod mu * mu_{t+1}) * m / d with
    d = sqrt(v / (1-b2^t)) + eps. `decoupled_weight_decay=True` multiplies p by 1 - lr*wd first
    (NAdamW), else wd*p joins g. State per parameter: "step" (a Python int, PyTorch keeps a float
    tensor), "mu_product" (a Python float rounded to float32 each step, as PyTorch's float32
    scalar tensor), "exp_avg", "exp_avg_sq". Differs from PyTorch: no foreach, capturable or
    differentiable flags (passing one is a TypeError).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)
        if not group["momentum_decay"] >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {group['momentum_decay']} (must be >= 0)")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        step = state["step"] = int(state["step"]) + 1
        bias_correction2 = 1 - beta2**step
        grad = decayed_grad(param, grad, group, first, second)

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * group["momentum_decay"])))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * group["momentum_decay"])))
        mu_product = state["mu_product"] = float(np.float32(state["mu_product"]) * np.float32(mu))
        mu_product_next = mu_product * mu_next

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, param.dtype.type(1 - beta1), second)
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(np.multiply(grad, 1 - beta2, out=second), grad, out=second)
        denom = np.divide(exp_avg_sq, bias_correction2, out=second)
        np.sqrt(denom, out=denom)
        denom += eps
        update = np.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=first)
        param += np.divide(update, denom, out=update)
        update = np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=first)
        param += np.divide(update, denom, out=update)


def decayed_grad(param: Any, grad: Any, group: dict[str, Any], out: Any, temp: Any) -> Any:
    """The gradient negated (maximize) and with weight decay applied, as PyTorch orders them:
    decoupled decay (a group with decoupled_weight_decay) scales `param` in place instead."""
    if group["maximize"]:
        grad = np.negative(grad, out=out)
    weight_decay = group["weight_decay"]
    if weight_decay != 0:
        if group.get("decoupled_weight_decay", False):
            param *= 1 - group["lr"] * weight_decay
        else:
            grad = np.add(grad, np.multiply(param, weight_decay, out=temp), out=out)
    return grad
