"""PopulationTrainer on real Fashion-MNIST: each member computes what its single run computes."""

import json

import numpy as np
import pytest
from stopping_reporter import StopAfter

import npnn
from npnn.training import TrainConfig, Trainer
from npnn.training.evaluation import test_run as evaluate_run
from npnn.training.population import PopulationError, PopulationTrainer, population_key
from npnn.training.reporter import Reporter

# what the original grids vary within one layout: lr, L2 strength (or none), and the seed
VARIANTS = [{"lr": 0.002, "seed": 1},
            {"lr": 0.01, "regularization": "l2", "reg_strength": 0.01, "seed": 2},
            {"lr": 0.004, "regularization": "l2", "reg_strength": 0.001, "seed": 3, "weight_decay": 1e-3}]


class Losses(Reporter):
    """Records every step's training loss."""

    def __init__(self):
        self.losses = []

    def step_done(self, loss):
        self.losses.append(loss)


def _configs(**changes):
    base = {"hidden": [64, 32], "batch_size": 8, "epochs": 1, "optimizer": "adam", "dropout": 0.0,
            "label_smoothing": 0.0, "schedule": "cosine", "eval_every": 100}
    return [TrainConfig(**{**base, **variant, **changes}) for variant in VARIANTS]


def _singles(configs, where, data):
    runs = []
    for index, config in enumerate(configs):
        losses = Losses()
        with Trainer.create(config, where, run_id=f"r{index}", reporter=losses, data=data) as trainer:
            runs.append((trainer.fit(), losses.losses))
    return runs


def _history(run_dir):
    return json.loads((run_dir / "history.json").read_text())["records"]


@pytest.mark.parametrize("changes", [{}, {"hidden": [32], "label_smoothing": 0.1, "schedule": "constant"}])
def test_each_member_trains_as_its_single_run(tmp_path, small_data, changes, monkeypatch):
    if changes:  # each member in a part of its own: a step runs part by part
        monkeypatch.setattr("npnn.training.population.trainer.PART_ELEMENTS", 1)
    configs = _configs(**changes)
    singles = _singles(configs, tmp_path / "single", small_data)
    reporters = [Losses() for _ in configs]
    with PopulationTrainer.create(configs, tmp_path / "population", [f"r{i}" for i in range(3)], reporters,
                                  data=small_data) as population:
        results = population.fit()
    for (single, single_losses), result, reporter in zip(singles, results, reporters, strict=True):
        assert result.status == single.status == "finished" and result.steps == single.steps == 250
        expected, got = np.array(single_losses), np.array(reporter.losses)
        assert len(got) == 250
        np.testing.assert_allclose(got[:50], expected[:50], rtol=1e-5, atol=0)  # the measure
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=0)
        assert _history(result.run_dir) == _history(single.run_dir)
        for name in ("best.safetensors", "last.safetensors"):
            ours, theirs = npnn.load(result.run_dir / name), npnn.load(single.run_dir / name)
            flat_ours, flat_theirs = _flatten(ours), _flatten(theirs)
            assert flat_ours.keys() == flat_theirs.keys()
            for key in flat_ours:
                if key.endswith("seconds."):  # wall-clock time
                    continue
                if isinstance(flat_ours[key], np.ndarray) and flat_ours[key].dtype.kind == "f":
                    np.testing.assert_allclose(flat_ours[key], flat_theirs[key], rtol=1e-5, atol=1e-7,
                                               err_msg=key)
                else:
                    assert flat_ours[key] == flat_theirs[key], key
        # a member's run directory is an ordinary one: `npnn test` reads it
        assert evaluate_run(result.run_dir)["accuracy"] == evaluate_run(single.run_dir)["accuracy"]


def _flatten(value, prefix=""):
    """{dotted key: array or number} of a nested checkpoint."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}{key}.").items()}
    if isinstance(value, (list, tuple)):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{prefix}{i}.").items()}
    if hasattr(value, "numpy"):
        return {prefix: value.numpy()}
    if isinstance(value, float):
        return {prefix: np.asarray(value)}
    return {prefix: value}


def test_runs_of_other_layouts_or_unsupported_settings_are_refused(tmp_path, small_data):
    assert population_key(_configs()[0]) == population_key(_configs()[1])
    assert population_key(_configs()[0]) != population_key(_configs(hidden=[16])[0])
    assert population_key(_configs(dropout=0.2)[0]) is None
    mixed = [*_configs()[:1], *_configs(batch_size=4)[:1]]
    with pytest.raises(PopulationError, match="differ"):
        PopulationTrainer.create(mixed, tmp_path, ["a", "b"], data=small_data)


class Raise(Reporter):
    """Raises KeyboardInterrupt after `steps` steps: the process dies there (as if killed), with
    the last checkpoints of the last evaluation."""

    def __init__(self, steps):
        self.steps = steps

    def step_done(self, loss):
        self.steps -= 1
        if self.steps == 0:
            raise KeyboardInterrupt


def test_members_stop_early_or_diverge_on_their_own(tmp_path, small_data):
    """Early stopping (patience) and divergence take one member out; the others train on."""
    configs = _configs(eval_every=10, patience=2)
    configs[1] = configs[1].replace(lr=1e30)  # overflows: the loss becomes non-finite
    singles = _singles(configs, tmp_path / "single", small_data)
    with PopulationTrainer.create(configs, tmp_path / "population", ["r0", "r1", "r2"],
                                  data=small_data) as population:
        results = population.fit()
    statuses = [result.status for result in results]
    assert statuses == [single.status for single, _ in singles]
    assert "diverged" in statuses and "early_stopped" in statuses
    assert len({result.steps for result in results}) == 3  # each stopped at its own step
    for (single, _), result in zip(singles, results, strict=True):
        assert result.steps == single.steps
        assert (result.run_dir / "history.json").exists() == (single.run_dir / "history.json").exists()
        if (single.run_dir / "history.json").exists():
            assert _history(result.run_dir) == _history(single.run_dir)
        assert json.loads((result.run_dir / "status.json").read_text())["status"] == single.status


@pytest.mark.parametrize("stop", ["request_stop", "killed"])
def test_a_stopped_population_resumes_every_member_exactly(tmp_path, small_data, stop):
    configs = _configs(eval_every=50)
    singles = _singles(configs, tmp_path / "single", small_data)
    names = ["r0", "r1", "r2"]
    first = StopAfter(120) if stop == "request_stop" else Raise(130)
    population = PopulationTrainer.create(configs, tmp_path / "population", names, [first], data=small_data)
    if stop == "request_stop":
        first.trainer = population  # as a stop signal asks the search's trainer
        results = population.fit()
        assert [result.status for result in results] == ["interrupted"] * 3
        assert [result.steps for result in results] == [120] * 3
    else:
        with pytest.raises(KeyboardInterrupt):
            population.fit()
        for name in names:  # the last checkpoints are those of step 100
            assert json.loads((tmp_path / "population" / name / "status.json").read_text())["status"] == \
                "interrupted"
    paths = [tmp_path / "population" / name for name in names]
    with PopulationTrainer.resume(paths, data=small_data) as population:
        results = population.fit()
    for (single, _), result in zip(singles, results, strict=True):
        assert result.status == "finished" and result.steps == 250
        assert _history(result.run_dir) == _history(single.run_dir)
        ours = npnn.load(result.run_dir / "best.safetensors")
        theirs = npnn.load(single.run_dir / "best.safetensors")
        for key in theirs:
            np.testing.assert_array_equal(np.asarray(ours[key]), np.asarray(theirs[key]))
