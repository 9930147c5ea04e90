"""The scheduler base: chainable get_lr, state_dict, initial step (PyTorch 2.x semantics)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from npnn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses implement `get_lr()` (and `_get_closed_form_lr()` where one exists)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        "a scheduler with last_epoch >= 0: load the optimizer's state_dict first, "
                        "or use last_epoch=-1 for a fresh run"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the step that sets the lr for epoch 0."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lr of each group for `self.last_epoch` (computed, not written)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lrs this scheduler last wrote, one per param group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch (call after `optimizer.step()`) and write the new lrs."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, copied."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by `state_dict` (load the optimizer's own state separately)."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def lr_at(self, epoch: int, closed_form: bool = False) -> list[float]:
        """The lrs (one per param group) at `epoch` of the `last_epoch` count; see `lrs_at`."""
        return self.lrs_at([epoch], closed_form)[0]

    def lrs_at(self, epochs: Iterable[int], closed_form: bool = False) -> list[list[float]]:
        """The lrs (one list per param group) this scheduler writes at each of `epochs` (values
        of its `last_epoch` count), leaving it and its optimizer untouched.

        An npnn addition: PyTorch has no public way to read a schedule ahead. By default a copy
        on a stand-in optimizer is stepped on from the current epoch, so every value equals what
        `step()` will write, bit for bit (an epoch before the current one is a ValueError).
        `closed_form=True` evaluates the schedule's formula instead, at any epoch and in O(1)
        each: for very long schedules, equal to stepping up to rounding (chainable schedulers
        multiply their way there). Either way, as if this scheduler alone wrote the lr.
        """
        epochs = [int(epoch) for epoch in epochs]
        replica = self._replica()
        if closed_form:
            return [replica._formula_lrs(epoch) for epoch in epochs]
        if epochs and min(epochs) < self.last_epoch:
            raise ValueError(f"epoch {min(epochs)} is before the scheduler's current epoch "
                             f"{self.last_epoch}: step through a schedule before stepping the "
                             "scheduler, or pass closed_form=True")
        lrs: dict[int, list[float]] = {}
        for epoch in sorted(set(epochs)):
            while replica.last_epoch < epoch:
                replica.step()
            lrs[epoch] = replica._current_lrs()
        return [list(lrs[epoch]) for epoch in epochs]

    def _replica(self) -> LRScheduler:
        """A deep copy driving a stand-in optimizer: copies of the param groups, no parameters."""
        stand_in = copy.copy(self.optimizer)
        stand_in.param_groups = [{key: value for key, value in group.items() if key != "params"}
                                 for group in self.optimizer.param_groups]
        stand_in.state = {}
        return copy.deepcopy(self, {id(self.optimizer): stand_in})

    def _formula_lrs(self, epoch: int) -> list[float]:
        """The closed form at `epoch` (moves this scheduler's `last_epoch`: call on a replica)."""
        closed_form = getattr(self, "_get_closed_form_lr", None)
        if closed_form is None:
            raise NotImplementedError(f"{type(self).__name__} has no closed form: call lrs_at "
                                      "without closed_form=True")
        self.last_epoch = epoch
        return closed_form()
