"""`SGD`: stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn._tensor import Tensor
from npnn.optim.flat import FlatGroup
from npnn.optim.optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    """p -= lr * d, where d = g + wd*p, then momentum: b = mu*b + (1-dampening)*d (b = d at first).

    Nesterov uses d + mu*b instead of b. `maximize` negates g. PyTorch's formulas and
    operation order; state per parameter: "momentum_buffer" (only when momentum != 0).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if group["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if group["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']} (must be >= 0)")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening: "
                             "pass momentum > 0 and dampening=0, or nesterov=False")

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        direction = self._scratch(param, 0)
        temp = self._scratch(param, 1)
        if group["maximize"]:
            grad = np.negative(grad, out=direction)
        if weight_decay != 0:
            grad = np.add(grad, np.multiply(param, weight_decay, out=temp), out=direction)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.astype(param.dtype, copy=True)
            else:
                buffer *= momentum
                if group["dampening"] == 0:
                    buffer += grad  # alpha = 1: PyTorch's add is exact here too
                else:
                    buffer += np.multiply(grad, 1 - group["dampening"], out=temp)
            if group["nesterov"]:
                grad = np.add(grad, np.multiply(buffer, momentum, out=temp), out=direction)
            else:
                grad = buffer
        param -= np.multiply(grad, lr, out=temp)

    def _flat_names(self, group: dict[str, Any], params: list[Tensor],
                    states: list[dict[str, Any]]) -> tuple[str, ...] | None:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _update_flat(self, flat: FlatGroup, states: list[dict[str, Any]], group: dict[str, Any]) -> None:
        """`_update`'s arithmetic, in the same order, on the whole group at once."""
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        grad = flat.gather_grads()
        if group["maximize"]:
            np.negative(grad, out=grad)
        if weight_decay != 0:
            grad += np.multiply(flat.gather_params(), weight_decay, out=flat.scratch())
        if momentum != 0:
            buffer = flat.flat["momentum_buffer"]
            if not flat.started("momentum_buffer", states):
                buffer[...] = grad  # b = d at the first step
                flat.publish("momentum_buffer", states)
            else:
                buffer *= momentum
                if group["dampening"] == 0:
                    buffer += grad
                else:
                    buffer += np.multiply(grad, 1 - group["dampening"], out=flat.scratch())
            if group["nesterov"]:
                grad += np.multiply(buffer, momentum, out=flat.scratch())
            else:  # lr * b into the gradient buffer: one pass, the same product as copy then scale
                np.multiply(buffer, lr, out=grad)
                flat.subtract_grad_from_params()
                return
        grad *= lr
        flat.subtract_grad_from_params()
