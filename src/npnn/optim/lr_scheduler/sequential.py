"""SequentialLR (hand over from one scheduler to the next at milestones) and ChainedScheduler
(step several at once)."""

from __future__ import annotations

import copy
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from npnn.optim.lr_scheduler.base import LRScheduler
from npnn.optim.lr_scheduler.plateau import ReduceLROnPlateau
from npnn.optim.optimizer import Optimizer


class SequentialLR(LRScheduler):
    """Run `schedulers` one after another, switching at each epoch in `milestones`.

    At a milestone the next scheduler restarts from its epoch 0 (its closed form), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got none")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR does not support ReduceLROnPlateau (index {i}): "
                                 "its step() needs a metric")
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR expects all schedulers to belong to the same "
                                 f"optimizer, but scheduler {i} ({type(scheduler).__name__}) "
                                 "has another one")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one milestone fewer than schedulers, but got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_step(self._schedulers)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def _formula_lrs(self, epoch: int) -> list[float]:
        """The closed form of the scheduler in charge at `epoch`, counted from its milestone."""
        index = bisect_right(self._milestones, epoch)
        start = self._milestones[index - 1] if index > 0 else 0
        self.last_epoch = epoch
        return self._schedulers[index]._formula_lrs(epoch - start)

    def state_dict(self) -> dict[str, Any]:
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = {key: value for key, value in state_dict.items() if key != "_schedulers"}
        self.__dict__.update(copy.deepcopy(state))
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            scheduler.load_state_dict(saved)


class ChainedScheduler(LRScheduler):
    """Step several schedulers of one optimizer together: each `step()` steps every one of
    them in order, so their chainable factors multiply (e.g. ConstantLR warm-up on ExponentialLR).
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained, "
                             "but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"ChainedScheduler at index {i} should have `optimizer` as its attribute.")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError("ChainedScheduler does not support `ReduceLROnPlateau` scheduler as "
                                 "it requires additional kwargs to be specified when calling `step`, "
                                 f"but got one at index {i} in the given schedulers sequence "
                                 "(step it separately, with its metric)")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"ChainedScheduler expects all schedulers to belong to the same "
                                 f"optimizer, but scheduler {i} ({type(scheduler).__name__}) has "
                                 "another one")
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()

    def lrs_at(self, epochs: Iterable[int], closed_form: bool = False) -> list[list[float]]:
        """Not available: a chain counts no epochs of its own (read its schedulers')."""
        raise NotImplementedError("ChainedScheduler has no epoch count to read a schedule at: "
                                  "call lrs_at on the chained schedulers")

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict


def _undo_initial_step(schedulers: Sequence[LRScheduler]) -> None:
    """Take back the epoch each scheduler's constructor stepped (inside nested SequentialLRs
    and ChainedSchedulers too, as PyTorch's recursive_undo)."""
    for scheduler in schedulers:
        if isinstance(scheduler, (SequentialLR, ChainedScheduler)):
            _undo_initial_step(scheduler._schedulers)
        else:
            scheduler.last_epoch -= 1
