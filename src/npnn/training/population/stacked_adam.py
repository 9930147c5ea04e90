"""`StackedAdam`: Adam for K members at once, each with its own learning rate and L2 decay.

It repeats optim/adam.py's float32 arithmetic in its order (moments kept scaled by 1/(1-beta),
coupled weight decay added to the gradient, the step size folded into one factor), with the
per-member values as (K, 1, ...) float32 arrays where Adam has Python scalars, so each member's
update is the one its single run makes. Large parameters are updated a few members at a time:
a whole population's weights do not fit in the cache, and these passes are bound by memory.
"""

from __future__ import annotations

import numpy as np

from npnn.optim.adam import FLUSH_SUBNORMALS_EVERY


class StackedAdam:
    """Scaled moments m' = m / (1 - b1), v' = v / (1 - b2) of each stacked parameter."""

    def __init__(self, params: list[np.ndarray], betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, step: int = 0) -> None:
        self.betas, self.eps, self.step_count = betas, eps, step
        self.exp_avg = [np.zeros_like(p) for p in params]
        self.exp_avg_sq = [np.zeros_like(p) for p in params]

    def keep(self, members: np.ndarray) -> None:
        """Drop every member not in `members`."""
        self.exp_avg = [np.ascontiguousarray(m[members]) for m in self.exp_avg]
        self.exp_avg_sq = [np.ascontiguousarray(v[members]) for v in self.exp_avg_sq]

    def begin_step(self, lrs: np.ndarray) -> None:
        """Count one step of every member and work out its step sizes from `lrs` (K,) float64;
        then `update` each part of the population."""
        beta1, beta2 = self.betas
        self.step_count += 1
        step = self.step_count
        scale2 = (1 - beta2) ** 0.5 / (1 - beta2**step) ** 0.5
        self._eps_term = self.eps / scale2
        self._factors = (-lrs * (1 - beta1) / ((1 - beta1**step) * scale2)).astype(np.float32)
        self._flush = step % FLUSH_SUBNORMALS_EVERY == 0

    def update(self, params: list[np.ndarray], grads: list[np.ndarray], weight_decays: list[np.ndarray],
               part: slice) -> None:
        """The step of members `part`: `params` and `grads` are theirs (grads are overwritten),
        `weight_decays[i]` (K,) float32 everyone's (0 for a member or parameter without decay)."""
        beta1, beta2 = self.betas
        factors = self._factors[part]
        for param, grad, m, v, decay in zip(params, grads, self.exp_avg, self.exp_avg_sq,
                                            weight_decays, strict=True):
            shape = (-1,) + (1,) * (param.ndim - 1)
            _update(param, grad, m[part], v[part], decay[part].reshape(shape), factors.reshape(shape),
                    beta1, beta2, self._eps_term, self._flush)


def _update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
            decay: np.ndarray, factor: np.ndarray, beta1: float, beta2: float, eps_term: float,
            flush: bool) -> None:
    scratch = np.multiply(param, decay)
    grad += scratch  # coupled weight decay (+0 where there is none)
    exp_avg *= beta1  # m' = b1 m' + g
    exp_avg += grad
    exp_avg_sq *= beta2  # v' = b2 v' + g^2
    exp_avg_sq += np.multiply(grad, grad, out=scratch)
    denom = np.sqrt(exp_avg_sq, out=scratch)
    denom += eps_term
    update = np.divide(exp_avg, denom, out=grad)
    update *= factor
    param += update
    if flush:
        tiny = np.finfo(param.dtype).tiny
        for moment in (exp_avg, exp_avg_sq):
            np.abs(moment, out=scratch)
            moment[scratch < tiny] = 0
