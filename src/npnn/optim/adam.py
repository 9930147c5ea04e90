"""`Adam` and `AdamW`: adaptive moment estimation, as torch.optim.Adam / AdamW."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.optim.flat import FlatGroup
from npnn.optim.optimizer import Optimizer, ParamsT

# Moments of inputs that stop receiving gradient (e.g. never-lit pixels) decay towards
# subnormal floats, and NumPy arithmetic on subnormals is about 2x slower. Every this many
# steps, values below the dtype's smallest normal are set to 0. Their effect on the update
# is below lr * tiny / eps (~1e-30 * lr in float32), so results stay equal to PyTorch's.
FLUSH_SUBNORMALS_EVERY = 50

# For float32 (and smaller) parameters the moments are kept divided by (1 - beta):
# m' = m / (1 - b1) and v' = v / (1 - b2). Their updates m' = b1 m' + g and v' = b2 v' + g^2
# then take 2 and 3 passes over the parameter instead of 3 and 4, which is most of what
# separates an Adam step from a hand-written one at small batches. state_dict() exports
# PyTorch's exp_avg / exp_avg_sq in float64, from which loading gets back exactly the same
# float32 values, so resuming stays bitwise. Float64 parameters keep PyTorch's own formulas
# (a float64 round trip through the scaling would not be exact). When a group's betas change
# (OneCycleLR cycles beta1), its scaled moments are rescaled to the new betas before the next
# step or state_dict(), so the update stays PyTorch's m = b1 m + (1 - b1) g with the new b1.
SCALED_MOMENTS = {"exp_avg": 0, "exp_avg_sq": 1, "max_exp_avg_sq": 1}  # name -> index of its beta


class Adam(Optimizer):
    """Adam with PyTorch's formulas: bias-corrected moments, optional AMSGrad and L2 weight decay.

    m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
    `decoupled_weight_decay=True` gives AdamW. State per parameter: "step" (a Python int,
    PyTorch keeps a float tensor), "exp_avg", "exp_avg_sq" and, with amsgrad, "max_exp_avg_sq";
    in `self.state` the moments are scaled by 1/(1-beta) (see above), `state_dict()` gives
    PyTorch's values. Differs from PyTorch: subnormal moments are flushed to 0 every 50 steps.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._moment_betas: dict[int, tuple[float, float]] = {}  # group index -> betas of its scaling
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        self._rescale_moments()
        return super().step(closure)

    def state_dict(self) -> dict[str, Any]:
        self._rescale_moments()
        return super().state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # loaded moments are scaled with the saved betas, which are now the groups' betas
        self._moment_betas = {i: tuple(group["betas"]) for i, group in enumerate(self.param_groups)}

    def _rescale_moments(self) -> None:
        """Rescale a group's scaled moments where its betas changed since they were scaled."""
        for index, group in enumerate(self.param_groups):
            betas = tuple(group["betas"])
            old = self._moment_betas.setdefault(index, betas)
            if old == betas:
                continue
            self._moment_betas[index] = betas
            changed = {name: (1 - old[which]) / (1 - betas[which])
                       for name, which in SCALED_MOMENTS.items() if old[which] != betas[which]}
            for param in group["params"]:  # (OneCycleLR changes beta1 only: exp_avg alone)
                state = self.state.get(param, {})
                for name, factor in changed.items():
                    moment = state.get(name)
                    if moment is not None and _scaled(moment):
                        moment *= factor

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            xp = backend.get_array_module(param)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        first = self._scratch(param, 0)
        second = self._scratch(param, 1)
        state["step"] += 1
        step = state["step"]

        if group["maximize"]:
            grad = np.negative(grad, out=first)
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = np.add(grad, np.multiply(param, weight_decay, out=second), out=first)

        bias_correction1 = 1 - beta1**step
        if _scaled(param):
            exp_avg *= beta1  # m' = b1 m' + g
            exp_avg += grad
            exp_avg_sq *= beta2  # v' = b2 v' + g^2
            exp_avg_sq += np.multiply(grad, grad, out=second)
            # sqrt(v) / sqrt(1 - b2^t) = scale2 * sqrt(v'), and m = (1 - b1) m'
            scale2 = (1 - beta2) ** 0.5 / (1 - beta2**step) ** 0.5
            eps_term, factor = eps / scale2, -lr * (1 - beta1) / (bias_correction1 * scale2)
        else:
            _lerp_(exp_avg, grad, param.dtype.type(1 - beta1), second)
            exp_avg_sq *= beta2
            exp_avg_sq += np.multiply(np.multiply(grad, 1 - beta2, out=second), grad, out=second)
            # sqrt(v)/bc2 + eps = (sqrt(v) + eps*bc2)/bc2: the bias correction joins the step size
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            eps_term = eps * bias_correction2_sqrt
            factor = -(lr / bias_correction1) * bias_correction2_sqrt
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = np.maximum(state["max_exp_avg_sq"], exp_avg_sq,
                                       out=state["max_exp_avg_sq"])
        denom = np.sqrt(second_moment, out=second)
        denom += eps_term
        update = np.divide(exp_avg, denom, out=first)
        update *= factor
        param += update

        if step % FLUSH_SUBNORMALS_EVERY == 0:
            tiny = np.finfo(param.dtype).tiny
            for name in SCALED_MOMENTS:  # every moment, scaled or not
                if name in state:
                    _flush_below(state[name], tiny, second)

    def _flat_names(self, group: dict[str, Any], params: list[Tensor],
                    states: list[dict[str, Any]]) -> tuple[str, ...] | None:
        """Scaled moments (float32 and smaller) at one step count are updated flat."""
        if not _scaled(params[0].array):
            return None
        if len({float(state.get("step", 0)) for state in states}) > 1:  # a loaded step may be 0-d
            return None
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else ("exp_avg", "exp_avg_sq")

    def _update_flat(self, flat: FlatGroup, states: list[dict[str, Any]], group: dict[str, Any]) -> None:
        """`_update`'s scaled arithmetic, in the same order, on the whole group at once."""
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not flat.started("exp_avg", states):
            flat.start(states)
        step = states[0].get("step", 0) + 1
        for state in states:
            state["step"] = step
        grad = flat.gather_grads()
        if group["maximize"]:
            np.negative(grad, out=grad)
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                for param in flat.params:
                    param.array *= 1 - lr * weight_decay
            else:
                grad += np.multiply(flat.gather_params(), weight_decay, out=flat.scratch())
        exp_avg, exp_avg_sq = flat.flat["exp_avg"], flat.flat["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += grad
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(grad, grad, out=grad)
        scale2 = (1 - beta2) ** 0.5 / (1 - beta2**step) ** 0.5
        eps_term, factor = eps / scale2, -lr * (1 - beta1) / ((1 - beta1**step) * scale2)
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            highest = flat.flat["max_exp_avg_sq"]
            second_moment = np.maximum(highest, exp_avg_sq, out=highest)
        denom = np.sqrt(second_moment, out=grad)
        denom += eps_term
        update = np.divide(exp_avg, denom, out=denom)
        update *= factor
        flat.add_grad_to_params()
        if step % FLUSH_SUBNORMALS_EVERY == 0:
            for moment in flat.flat.values():
                _flush_below(moment, np.finfo(grad.dtype).tiny, grad)

    def _saved_value(self, name: str, value: Any, group: dict[str, Any]) -> Any:
        """PyTorch's moments (m = (1 - b1) m', in float64) where Adam keeps them scaled."""
        if name in SCALED_MOMENTS and _scaled(value):
            return backend.to_numpy(value).astype(np.float64) * (1 - group["betas"][SCALED_MOMENTS[name]])
        return super()._saved_value(name, value, group)

    def _loaded_value(self, name: str, value: Any, param: Tensor, saved_group: dict[str, Any]) -> Any:
        """PyTorch's moments scaled back (exactly, from float64) for a float32 parameter."""
        if name in SCALED_MOMENTS and _scaled(param.array) and hasattr(value, "dtype") and \
                np.issubdtype(value.dtype, np.floating):
            beta = tuple(saved_group.get("betas", (0.9, 0.999)))[SCALED_MOMENTS[name]]
            return np.asarray(backend.to_numpy(value), np.float64) / (1 - beta)
        return value


def _scaled(array: Any) -> bool:
    """Whether Adam keeps this parameter's moments scaled (float32 and smaller; see above)."""
    return array.dtype.itemsize <= 4


def _lerp_(start: Any, end: Any, weight: Any, temp: Any) -> None:
    """start += weight * (end - start) in place, with PyTorch's two-sided formula for accuracy."""
    np.subtract(end, start, out=temp)
    if abs(weight) < 0.5:
        temp *= weight
        start += temp
    else:
        temp *= 1 - weight
        np.subtract(end, temp, out=start)


def check_adam_group(group: dict[str, Any]) -> None:
    """PyTorch's checks of lr, eps, betas and weight_decay (Adam, AdamW, NAdam, RAdam, Adamax)."""
    beta1, beta2 = group["betas"]
    if not group["lr"] >= 0.0:
        raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
    if not group["eps"] >= 0.0:
        raise ValueError(f"Invalid epsilon value: {group['eps']} (eps must be >= 0)")
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1} (needs 0 <= beta1 < 1)")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2} (needs 0 <= beta2 < 1)")
    if not group["weight_decay"] >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {group['weight_decay']} (must be >= 0)")


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr*wd before the Adam step (as torch.optim.AdamW)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As Optimizer.load_state_dict; AdamW groups stay decoupled whatever was saved."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _flush_below(array: Any, tiny: float, temp: Any) -> None:
    """Set entries with |x| < tiny (subnormals) to exactly 0, in place."""
    np.abs(array, out=temp)
    array[temp < tiny] = 0
