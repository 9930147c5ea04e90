"""`LBFGS`: limited-memory BFGS driven by a closure, as torch.optim.LBFGS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import enable_grad, no_grad
from npnn.optim.line_search import strong_wolfe
from npnn.optim.optimizer import Optimizer, ParamsT

_GROUPS_MESSAGE = ("LBFGS doesn't support per-parameter options (parameter groups): pass one "
                   "list of parameters")


class LBFGS(Optimizer):
    """L-BFGS ported from PyTorch's (after minFunc): `step(closure)` runs up to `max_iter`
    iterations, each a two-loop recursion over the last `history_size` steps, then a fixed step
    of `lr` (the first scaled by 1/sum|g|) or a strong-Wolfe line search
    (`line_search_fn="strong_wolfe"`). It stops early when max|g| <= tolerance_grad, or when the
    step or the loss changes by less than tolerance_change, or after `max_eval` evaluations.

    The closure must clear the grads, compute the loss, call backward and return the loss. All
    state sits on the first parameter, under PyTorch's names ("func_evals", "n_iter", "d", "t",
    "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al"); the 0-d
    tensors of PyTorch are NumPy scalars of the parameters' dtype. Differs from PyTorch: a second
    param group is refused when added (PyTorch fails at the next step), and an unknown
    `line_search_fn` is a ValueError at construction (PyTorch raises RuntimeError in step).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change, "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (lr must be >= 0)")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"only 'strong_wolfe' is supported: line_search_fn must be None or "
                             f"'strong_wolfe', got {group['line_search_fn']!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError(_GROUPS_MESSAGE)
        super().add_param_group(param_group)

    @property
    def _params(self) -> list[Any]:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self) -> Any:
        """Every parameter's grad (zeros where None) in one new flat array."""
        xp = backend.get_array_module(self._params[0].array)
        return xp.concatenate([p.grad.array.reshape(-1) if p.grad is not None
                               else xp.zeros(p.array.size, dtype=p.array.dtype)
                               for p in self._params])

    def _add_grad(self, step_size: Any, update: Any) -> None:
        """p += step_size * (p's part of the flat `update`), for every parameter."""
        offset = 0
        for param in self._params:
            size = param.array.size
            param.array += np.multiply(update[offset:offset + size].reshape(param.array.shape), step_size)
            param._bump_version()
            offset += size

    def _set_param(self, values: list[Any]) -> None:
        for param, value in zip(self._params, values, strict=True):
            param.array[...] = value
            param._bump_version()

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[Any], t: Any,
                              d: Any) -> tuple[float, Any]:
        """The loss and flat gradient at x + t*d; the parameters are back at `x` afterwards."""
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to max_iter L-BFGS iterations; returns the closure's first loss."""
        if len(self.param_groups) != 1:
            raise ValueError(_GROUPS_MESSAGE)
        with no_grad():
            return self._run(closure)

    def _run(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # optimal already
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the descent direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # update the memory
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # the initial Hessian's scale
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step length: the first is scaled down by the gradient's size
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)  # directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                x_init = [param.array.copy() for param in self._params]

                def obj_func(x: list[Any], t: Any, d: Any) -> tuple[float, Any]:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:  # the last iteration's loss is not needed (stochastic)
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # lack of progress
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                      "H_diag": H_diag, "prev_flat_grad": prev_flat_grad, "prev_loss": prev_loss})
        return orig_loss

    def state_dict(self) -> dict[str, Any]:
        """As Optimizer.state_dict; the flat arrays and lists are NumPy copies."""
        saved = super().state_dict()
        saved["state"] = {index: {key: _to_numpy(value) for key, value in state.items()}
                          for index, state in saved["state"].items()}
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As Optimizer.load_state_dict; floating arrays and scalars are cast to the parameters'
        dtype and device (as PyTorch casts its tensors), lists element by element."""
        super().load_state_dict({**state_dict, "state": {}})
        state = {}
        for key, param_state in state_dict["state"].items():
            if int(key) != 0:
                raise ValueError(f"loaded LBFGS state is for parameter {key}: LBFGS keeps its "
                                 "state on the first parameter (index 0)")
            state[self._params[0]] = {name: _cast(value, self._params[0])
                                     for name, value in param_state.items()}
        self.state = state


def _two_loop(flat_grad: Any, old_dirs: list[Any], old_stps: list[Any], ro: list[Any], H_diag: Any,
              al: list[Any]) -> Any:
    """The L-BFGS two-loop recursion: -H g, with H the inverse-Hessian approximation from the
    stored gradient changes y (old_dirs), steps s (old_stps) and ro = 1/(y.s), scaled by H_diag.
    Writes the first loop's coefficients into `al` (PyTorch keeps them in the state)."""
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q += np.multiply(old_dirs[i], -al[i])
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r += np.multiply(old_stps[i], al[i] - be_i)
    return r


def _to_numpy(value: Any) -> Any:
    """A state value with its arrays (in lists too) as NumPy copies, 0-d ones as NumPy scalars."""
    if isinstance(value, list):
        return [_to_numpy(item) for item in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        array = np.array(backend.to_numpy(value), copy=True)
        return array if array.ndim > 0 else array[()]
    return value


def _cast(value: Any, param: Tensor) -> Any:
    """A loaded state value with floating arrays (lists of them too) of `param`'s dtype and on
    its device; 0-d ones become scalars of that dtype; other values pass through."""
    if isinstance(value, list):
        return [_cast(item, param) for item in value]
    if not hasattr(value, "dtype") or not np.issubdtype(value.dtype, np.floating):
        return value
    if getattr(value, "ndim", 0) == 0:
        return param.array.dtype.type(float(value))
    xp = backend.get_array_module(param.array)
    array = backend.to_numpy(value)
    array = array if xp is np else backend.to_device(array, param.device)
    return xp.array(array, dtype=param.array.dtype, copy=True)
