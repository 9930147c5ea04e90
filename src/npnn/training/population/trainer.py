"""`PopulationTrainer`: K runs of one layout and batch size trained at once as one stacked model.

Each member is an ordinary `Trainer` with its own run directory, position, history and
checkpoints; only the steps between evaluations run stacked. At each evaluation a member's
weights, Adam state and schedule are copied back into its own model, optimizer and scheduler,
and its Trainer evaluates and writes its files as a single run does, so `npnn test`,
`npnn report` and `npnn train --resume` see an ordinary run. A member that diverges, stops
early, is pruned or interrupted leaves the stack; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from npnn import optim, random
from npnn._tensor import Tensor
from npnn.serialization import atomic_write_json
from npnn.training.config import TrainConfig
from npnn.training.datasets import load_datasets
from npnn.training.errors import machine_fault
from npnn.training.machine import machine_info
from npnn.training.population.members import (
    adam_state,
    advance_scheduler,
    population_key,
    set_adam_state,
    unsupported,
    weight_decays,
)
from npnn.training.population.stacked_adam import StackedAdam
from npnn.training.population.stacked_mlp import StackedMLP
from npnn.training.recipe import build_scheduler, describe_model
from npnn.training.run_dir import DIVERGED, EARLY_STOPPED, FAILED, FINISHED, INTERRUPTED, RUNNING
from npnn.training.trainer import FitResult, Trainer

# parameters of the members trained in one pass (float32: 1 MiB per array). Members are cut
# into such parts because a step is bound by memory: a part's weights, gradients and moments
# stay in the cache through its forward, backward and Adam passes, a whole population's do not.
PART_ELEMENTS = 1 << 18


class PopulationError(ValueError):
    """Runs that cannot train together; the message says why."""


class PopulationTrainer:
    """Train `members` (Trainers of runs that share a `population_key`, at the same position)
    together. Use as `with PopulationTrainer(members) as population: population.fit()`."""

    def __init__(self, members: Sequence[Trainer], rng_states: Sequence | None = None) -> None:
        """`rng_states`: each member's global RNG state, as its Trainer left it (a run's last
        checkpoint saves it; without dropout, training draws nothing from it)."""
        if not members:
            raise PopulationError("a population needs at least one run")
        for member in members:
            reason = unsupported(member.config)
            if reason is not None:
                raise PopulationError(f"{member.run.path} cannot train in a population ({reason})")
        if len({population_key(member.config) for member in members}) > 1:
            raise PopulationError("the runs differ in more than lr, regularization, weight decay and seed")
        positions = {(m.position.epoch, m.position.batch, m.position.step) for m in members}
        if len(positions) > 1:
            raise PopulationError(f"the runs stand at different positions {sorted(positions)}")
        self.members = list(members)
        self.rng_states = list(rng_states) if rng_states is not None else \
            [random.get_rng_state()] * len(members)
        self.config: TrainConfig = members[0].config
        self._stop_status: str | None = None

    @classmethod
    def create(cls, configs: Sequence[TrainConfig], out: str | Path, run_ids: Sequence[str | None],
               reporters: Sequence = (), data: tuple | None = None) -> PopulationTrainer:
        """New run directories, one per config, as `Trainer.create` makes them; the data is
        loaded once, from the first config."""
        data = data if data is not None else load_datasets(configs[0].with_resolved_data_dir())
        members: list[Trainer] = []
        rng_states = []
        try:
            for index, (config, run_id) in enumerate(zip(configs, run_ids, strict=True)):
                reporter = reporters[index] if index < len(reporters) else None
                members.append(Trainer.create(config, out, run_id=run_id, reporter=reporter, data=data))
                rng_states.append(random.get_rng_state())
            return cls(members, rng_states)
        except BaseException:
            for member in members:
                member.release()
            raise

    @classmethod
    def resume(cls, paths: Sequence[str | Path], reporters: Sequence = (),
               data: tuple | None = None) -> PopulationTrainer:
        """Continue runs from their last checkpoints, as `Trainer.resume` continues each (they
        must stand at the same step); the data is loaded once, for the first."""
        members: list[Trainer] = []
        rng_states = []
        try:
            for index, path in enumerate(paths):
                reporter = reporters[index] if index < len(reporters) else None
                members.append(Trainer.resume(path, reporter=reporter, data=data))
                rng_states.append(random.get_rng_state())
                data = data or (members[0].train_set, members[0].val_set)
            return cls(members, rng_states)
        except BaseException:
            for member in members:
                member.release()
            raise

    def __enter__(self) -> PopulationTrainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def release(self) -> None:
        for member in self.members:
            member.release()

    def request_stop(self, status: str = INTERRUPTED) -> None:
        """Stop every member at the next step boundary, as `Trainer.request_stop` stops one."""
        self._stop_status = status
        for member in self.members:
            member.request_stop(status)

    # ----- the loop -----
    def fit(self) -> list[FitResult | Exception]:
        """Train every member to its end; one FitResult per member, in order, or the exception
        that failed that member alone (the others go on). The runs' locks are released on
        return."""
        started = time.perf_counter()
        earlier = [member.position.seconds for member in self.members]
        self._results: dict[int, FitResult | Exception] = {}
        self._started, self._earlier = started, earlier
        try:
            for member in self.members:
                self._begin(member)
            self._loop()
            return [self._results[index] for index in range(len(self.members))]
        except KeyboardInterrupt:
            self._abort_all(INTERRUPTED, "aborted by Ctrl-C")
            raise
        except BaseException as error:
            fault = machine_fault(error)
            if fault is None:
                self._abort_all(FAILED, f"{type(error).__name__}: {error}")
                raise
            stopped = None
            for index, member in enumerate(self.members):
                if index not in self._results:
                    member.position.seconds = self._seconds(index)
                    stopped = stopped or member._stopped(fault, time.perf_counter() - member.position.seconds)
            raise (stopped or error) from error
        finally:
            self.release()

    def _begin(self, member: Trainer) -> None:
        position = member.position
        member.run.write_status(RUNNING, step=position.step, seconds=round(position.seconds, 3))
        atomic_write_json(member.run.machine, machine_info())
        if member.restarted:
            member.run.append_log(member.restarted)
        if member._resumed:
            member._log(f"resumed at step {position.step} from {member.run.last.name}")
        member._log(f"training {describe_model(member.config)} on {len(member.train_set)} images, "
                    f"{len(member.loader)} steps per epoch, run {member.run.name}, in a population "
                    f"of {len(self.members)}")

    def _seconds(self, index: int) -> float:
        return self._earlier[index] + time.perf_counter() - self._started

    def _loop(self) -> None:
        members, config = self.members, self.config
        first = members[0]
        train = first.train_set
        images_all, labels_all = train.images, train.labels
        steps_per_epoch, batch_size = len(first.loader), config.batch_size
        model = StackedMLP.from_models([m.model for m in members])
        adam = self._adam(model)
        decays = self._decays(model)
        lrs, schedule = self._schedule(steps_per_epoch, first.position.step)
        synced = [first.position.step] * len(members)  # each member's scheduler stands here
        active = np.arange(len(members))
        sums = np.array([m.position.loss_sum for m in members], dtype=np.float64)
        counts = np.array([m.position.loss_count for m in members], dtype=np.int64)
        epoch, batch, step = first.position.epoch, first.position.batch, first.position.step
        smoothing = config.label_smoothing
        parts = model.parts(PART_ELEMENTS)
        while epoch < config.epochs and len(active):
            for index in active:
                members[index].reporter.epoch_started(epoch, config.epochs, steps_per_epoch, batch)
            orders = np.stack([members[index].loader.order(epoch) for index in active])
            while batch < steps_per_epoch and len(active):
                rows = orders[:, batch * batch_size:(batch + 1) * batch_size]
                adam.begin_step(lrs[active])
                losses = np.empty(len(active), dtype=images_all.dtype)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    for part in parts:
                        losses[part], grads = model.loss_and_grads(
                            images_all[rows[part]], labels_all[rows[part]], smoothing, part)
                        params = [array[part] for array in model.parameters()]
                        adam.update(params, grads, decays, part)
                if schedule is not None:
                    schedule.step()
                    lrs = np.array([group["lr"] for group in schedule.optimizer.param_groups])
                batch += 1
                step += 1
                finite = np.isfinite(losses)
                sums[active[finite]] += losses[finite].astype(np.float64)
                counts[active[finite]] += 1
                for index, loss in zip(active, losses.tolist(), strict=True):
                    members[index].reporter.step_done(loss)
                leaving: dict[int, str] = {}
                if not finite.all():
                    for index in active[~finite]:
                        self._place(index, epoch, batch, step, sums, counts)
                        leaving[int(index)] = DIVERGED
                end_of_epoch = batch == steps_per_epoch
                if end_of_epoch:
                    epoch, batch = epoch + 1, 0
                evaluate = end_of_epoch or (config.eval_every and step % config.eval_every == 0)
                if evaluate or self._stop_status is not None:
                    for slot, index in enumerate(active):
                        if int(index) in leaving:
                            continue
                        member = members[index]
                        self._place(index, epoch, batch, step, sums, counts)
                        try:
                            if evaluate:
                                self._sync(index, slot, model, adam, step - synced[index])
                                synced[index] = step
                                sums[index], counts[index] = 0.0, 0
                                if member._evaluate_and_save():
                                    leaving[int(index)] = EARLY_STOPPED
                                    continue
                            if member._stop_status is not None and epoch < config.epochs:
                                if not evaluate:
                                    self._sync(index, slot, model, adam, step - synced[index])
                                    synced[index] = step
                                member._save_last()
                                leaving[int(index)] = member._stop_status
                        except Exception as error:
                            if machine_fault(error) is not None:
                                raise  # a full disk stops every member
                            self._fail(int(index), error)  # this member's own error
                            leaving[int(index)] = FAILED
                for index, status in leaving.items():
                    members[index].reporter.epoch_done()
                    if status != FAILED:
                        self._finish(index, status)
                if leaving:
                    keep = np.array([i not in leaving for i in active])
                    active = active[keep]
                    orders = orders[keep]
                    model.keep(np.flatnonzero(keep))
                    adam.keep(np.flatnonzero(keep))
                    decays = [d[keep] for d in decays]
                    parts = model.parts(PART_ELEMENTS)
                if end_of_epoch:
                    break
            for index in active:
                members[index].reporter.epoch_done()
        for index in active:
            self._finish(index, FINISHED)

    def _adam(self, model: StackedMLP) -> StackedAdam:
        """The population's Adam, continuing the members' own state after a resume."""
        group = self.members[0].optimizer.param_groups[0]
        states = [adam_state(member) for member in self.members]
        steps = {state[0] for state in states}
        if len(steps) > 1:
            raise PopulationError(f"the runs' optimizers stand at different steps {sorted(steps)}")
        adam = StackedAdam(model.parameters(), tuple(group["betas"]), group["eps"], steps.pop())
        if states[0][1] is not None:
            for i in range(len(adam.exp_avg)):
                adam.exp_avg[i][...] = np.stack([state[1][i] for state in states])
                adam.exp_avg_sq[i][...] = np.stack([state[2][i] for state in states])
        return adam

    def _decays(self, model: StackedMLP) -> list[np.ndarray]:
        """Per parameter, each member's coupled weight decay (float32, as Adam multiplies by it)."""
        pairs = [weight_decays(member) for member in self.members]
        weights = np.array([pair[0] for pair in pairs], dtype=np.float64).astype(np.float32)
        biases = np.array([pair[1] for pair in pairs], dtype=np.float64).astype(np.float32)
        return [weights if i % 2 == 0 else biases for i in range(len(model.parameters()))]

    def _schedule(self, steps_per_epoch: int, step: int) -> tuple[np.ndarray, optim.Optimizer | None]:
        """Each member's lr now, and one schedule with a param group per member that steps all
        their learning rates at once: the same arithmetic as each member's own scheduler."""
        groups = [{"params": [Tensor(np.zeros(1, np.float32))], "lr": member.config.lr}
                  for member in self.members]
        holder = optim.SGD(groups, lr=self.config.lr)
        schedule = build_scheduler(self.config, holder, steps_per_epoch)
        if schedule is not None:
            for _ in range(step):  # the schedule is a function of the step
                schedule.step()
        lrs = np.array([group["lr"] for group in holder.param_groups])
        current = np.array([member.optimizer.param_groups[0]["lr"] for member in self.members])
        if not np.array_equal(lrs, current):
            raise PopulationError("the runs' learning rates do not follow their schedule (a resume "
                                  "with changed settings): train them one by one")
        return lrs, schedule

    def _place(self, index: int, epoch: int, batch: int, step: int, sums: np.ndarray,
               counts: np.ndarray) -> None:
        position = self.members[index].position
        position.epoch, position.batch, position.step = epoch, batch, step
        position.loss_sum, position.loss_count = float(sums[index]), int(counts[index])
        position.seconds = self._seconds(index)

    def _sync(self, index: int, slot: int, model: StackedMLP, adam: StackedAdam, behind: int) -> None:
        """Copy the member's stacked state into its own model, optimizer and scheduler."""
        member = self.members[index]
        model.write_to(slot, member.model)
        set_adam_state(member, adam.step_count, [m[slot] for m in adam.exp_avg],
                       [v[slot] for v in adam.exp_avg_sq])
        advance_scheduler(member, behind)
        random.set_rng_state(self.rng_states[index])  # what its checkpoint saves

    def _finish(self, index: int, status: str) -> None:
        member = self.members[index]
        member.position.seconds = self._seconds(index)
        self._results[index] = member._finish(status)
        member.release()

    def _fail(self, index: int, error: Exception) -> None:
        """Record member `index` as failed by `error`, which fit() returns in its place."""
        member = self.members[index]
        member._record_abort(FAILED, f"{type(error).__name__}: {error}",
                             time.perf_counter() - self._seconds(index))
        self._results[index] = error
        member.release()

    def _abort_all(self, status: str, reason: str) -> None:
        for index, member in enumerate(self.members):
            if index not in self._results:
                member._record_abort(status, reason, time.perf_counter() - self._seconds(index))

